import Foundation
import Testing

/// What only `Scripts/test` provides: the throwaway PostgreSQL and its binaries, MovieLens, the tools the
/// tests drive (Chromium, promtool, systemd-analyze, HAProxy). A test that needs one of them asks here.
/// Without it (a bare `swift test`) the test is cancelled, which Swift Testing reports as skipped with the
/// reason, so every pure test still runs and passes; under `Scripts/test` (which sets
/// `MOVIEMASH_TEST_REQUIRE_ALL=1`) a missing piece fails the test instead, so nothing is skipped silently.
public enum TestEnvironment {
    public static var requiresAll: Bool { ProcessInfo.processInfo.environment["MOVIEMASH_TEST_REQUIRE_ALL"] == "1" }

    /// The value of `variable`, or the test is skipped (failed under `Scripts/test`) naming `what` it needs.
    public static func value(of variable: String, for what: String) throws -> String {
        if let value = ProcessInfo.processInfo.environment[variable] { return value }
        try unavailable("\(what) (\(variable) is not set): run the tests with Scripts/test")
    }

    /// The path of `executable`, or the test is skipped (failed under `Scripts/test`).
    public static func tool(_ executable: String) throws -> String {
        if let path = findExecutable(executable) { return path }
        try unavailable("\(executable) is not installed: Scripts/test installs it")
    }

    /// The Python packages `names` import, or the test is skipped (failed under `Scripts/test`).
    public static func pythonPackages(_ names: [String]) async throws {
        let python = try tool("python3")
        let result = try await run(python, ["-c", "import " + names.joined(separator: ", ")])
        if result.status != 0 { try unavailable("the Python packages \(names.joined(separator: ", ")): Scripts/test installs them") }
    }

    private static func unavailable(_ reason: String) throws -> Never {
        if requiresAll { throw TestSetupError(reason) }
        try Test.cancel(Comment(rawValue: "skipped: needs " + reason))
    }
}
