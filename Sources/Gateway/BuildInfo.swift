import Foundation

/// What this binary is: the release version and the git commit it was built from (`--version`, `/health`,
/// `moviemash_build_info`).
public enum BuildInfo {
    public static let version = "1.0.0"

    /// The commit's hash, or "unknown" for a build outside a git checkout.
    public static let commit: String = commit(in: embeddedGitHead)

    /// The commit git's `HEAD` names: a detached hash, or the hash of the branch it points to (a loose ref
    /// file, else a line of `packed-refs`).
    static func commit(in files: [(file: String, text: String)]) -> String {
        let text = { (name: String) in files.first { $0.file == name }?.text }
        guard let head = text("HEAD")?.trimmingCharacters(in: .whitespacesAndNewlines) else { return "unknown" }
        guard head.hasPrefix("ref: ") else { return isHash(head) ? head : "unknown" }
        let reference = String(head.dropFirst(5))
        if let loose = text(String(reference.split(separator: "/").last ?? ""))?.trimmingCharacters(in: .whitespacesAndNewlines), isHash(loose) {
            return loose
        }
        for line in (text("packed-refs") ?? "").split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2, parts[1] == reference, isHash(String(parts[0])) { return String(parts[0]) }
        }
        return "unknown"
    }

    private static func isHash(_ text: String) -> Bool {
        text.count >= 40 && text.allSatisfy { $0.isHexDigit }
    }

    /// "1.0.0 (abcdef123456)".
    public static var description: String { "\(version) (\(commit.prefix(12)))" }
}
