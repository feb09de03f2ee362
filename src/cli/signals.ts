/**
 * A command that stops gracefully on a signal by itself (the brain: finish or abandon the task,
 * final heartbeat, release the lock) sets `graceful` while it runs; the shell then leaves the
 * signal to it and reports the Interrupted error the command throws (exit 130/143).
 */
export const signalHooks: { graceful: ((signal: 'SIGINT' | 'SIGTERM') => void) | null } = { graceful: null };
