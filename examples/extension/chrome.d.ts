// The few chrome.* extension APIs these files use, so they type-check without @types/chrome.
// In your own extension, install @types/chrome instead.
declare namespace chrome.runtime {
  function sendMessage<T = unknown>(message: unknown): Promise<T>
  const onMessage: {
    addListener(
      listener: (
        message: unknown,
        sender: unknown,
        sendResponse: (response?: unknown) => void
      ) => boolean | undefined
    ): void
  }
}

declare namespace chrome.storage {
  const local: {
    get(keys: string | string[]): Promise<Record<string, unknown>>
    set(items: Record<string, unknown>): Promise<void>
  }
}
