// Preloaded into every app the launcher starts (`node --import tsx --import <this>`). The
// launcher holds the write end of the app's stdin; when it goes away, however it died (Ctrl-C
// that reached only it, SIGKILL, a crashed test runner), that pipe ends and the app stops as if
// sent SIGTERM — its own graceful stop — instead of living on with its ports and consumers.
process.stdin.on("end", () => process.kill(process.pid, "SIGTERM"));
process.stdin.on("error", () => process.kill(process.pid, "SIGTERM"));
process.stdin.resume();
// Watching the pipe must not keep an app alive that is otherwise done.
(process.stdin as unknown as { unref?: () => void }).unref?.();
