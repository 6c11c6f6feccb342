import { type Context, Hono } from 'hono'
import { toBase64 } from '../../client/serde.js'
import type { AppEnv } from '../env.js'
import { WorkerError } from '../errors.js'
import type { WorkerState } from '../state.js'
import { queryOf, readSecret } from './secrets.js'

/**
 * The read interface of the AWS Secrets Manager Agent and the Lambda extension:
 * `GET /secretsmanager/get?secretId=…` answers with the Agent's JSON (its member order, and
 * `CreatedDate` as a string of epoch seconds such as `"1569534789.046"`). `/ping` is
 * unauthenticated and answers `healthy`, as the Agent does.
 *
 * @param state The isolate's state.
 */
export function agentRoutes(state: WorkerState): Hono<AppEnv> {
  const app = new Hono<AppEnv>()

  app.get('/secretsmanager/get', async (c) => {
    const query = queryOf(c, ['secretId', 'versionId', 'versionStage', 'refreshNow'])
    if (query.secretId === undefined || query.secretId === '') {
      throw new WorkerError('ValidationException', 'missing parameter secretId')
    }
    const value = await readSecret(c, state, query.secretId, {
      VersionId: query.versionId,
      VersionStage: query.versionStage,
      refresh: query.refreshNow === undefined ? false : refreshNowOf(query.refreshNow),
    })
    // The Agent's serde order; absent members are left out, as it skips them.
    const body = {
      ARN: value.ARN,
      Name: value.Name,
      VersionId: value.VersionId,
      SecretString: value.SecretString,
      SecretBinary: value.SecretBinary === undefined ? undefined : toBase64(value.SecretBinary),
      VersionStages: value.VersionStages,
      // Rust's f64 formatting, which the Agent uses, writes the same digits as String(n).
      CreatedDate:
        value.CreatedDate === undefined ? undefined : String(value.CreatedDate.getTime() / 1000),
    }
    return c.json(body)
  })
  app.all('/secretsmanager/get', (c: Context<AppEnv>) => {
    c.header('Allow', 'GET')
    throw new WorkerError('MethodNotAllowedException', 'Use GET on this path')
  })
  return app
}

// The Agent's rule: true/1/false/0, in any case.
function refreshNowOf(value: string): boolean {
  switch (value.toLowerCase()) {
    case 'true':
    case '1':
      return true
    case 'false':
    case '0':
      return false
    default:
      throw new WorkerError('ValidationException', 'invalid refreshNow value')
  }
}
