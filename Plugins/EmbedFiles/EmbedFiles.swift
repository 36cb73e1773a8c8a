import Foundation
import PackagePlugin

/// Compiles files of the package into the module that uses them, so the binary carries exactly those
/// files without a resource folder beside it: the migrations of `Schemas/sql` (the canonical DDL) into
/// PostgresMirror; the HTTP contract `Schemas/openapi.yaml`, and git's `HEAD` with the refs it may name
/// (the commit the build is of, for `--version` and `build_info`), into the Gateway.
@main
struct EmbedFiles: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let root = context.package.directoryURL, schemas = root.appending(path: "Schemas")
        switch target.name {
        case "Gateway":
            let git = root.appending(path: ".git")
            var head = [git.appending(path: "HEAD"), git.appending(path: "packed-refs")]
            if let text = try? String(contentsOf: head[0], encoding: .utf8), text.hasPrefix("ref: ") {
                head.append(git.appending(path: text.dropFirst(5).trimmingCharacters(in: .whitespacesAndNewlines)))
            }
            let existing = head.filter { FileManager.default.fileExists(atPath: $0.path) }
            return [
                try embed("embeddedContract", [schemas.appending(path: "openapi.yaml")], context: context),
                try embed("embeddedGitHead", existing, watching: existing, context: context),
            ]
        default:
            let sql = schemas.appending(path: "sql")
            let migrations = try FileManager.default.contentsOfDirectory(at: sql, includingPropertiesForKeys: nil)
                .filter { $0.pathExtension == "sql" }
                .sorted { $0.lastPathComponent < $1.lastPathComponent }
            return [try embed("embeddedMigrations", migrations, watching: migrations + [sql], context: context)]
        }
    }

    private func embed(_ name: String, _ files: [URL], watching: [URL]? = nil, context: PluginContext) throws -> Command {
        let output = context.pluginWorkDirectoryURL.appending(path: "Embedded-\(name).swift")
        return .buildCommand(
            displayName: "Embedding \(files.count) file(s) as \(name)",
            executable: try context.tool(named: "EmbedFilesTool").url,
            arguments: [output.path, name] + files.map(\.path),
            inputFiles: watching ?? files,
            outputFiles: [output])
    }
}
