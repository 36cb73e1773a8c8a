import Foundation
import PackagePlugin

/// Compiles the migrations of `Schemas/sql` (the canonical DDL) into the PostgresMirror module, so the
/// binary applies exactly those files without shipping a resource folder beside it.
@main
struct EmbedMigrations: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let folder = context.package.directoryURL.appending(path: "Schemas").appending(path: "sql")
        let files = try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "sql" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedMigrations.swift")
        return [.buildCommand(
            displayName: "Embedding \(files.count) migrations of Schemas/sql",
            executable: try context.tool(named: "EmbedMigrationsTool").url,
            arguments: [output.path] + files.map(\.path),
            inputFiles: files + [folder],
            outputFiles: [output])]
    }
}
