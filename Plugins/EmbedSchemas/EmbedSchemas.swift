import Foundation
import PackagePlugin

/// Compiles canonical files of `Schemas` into the module that serves them, so the binary carries exactly
/// those files without a resource folder beside it: the migrations of `Schemas/sql` (the canonical DDL)
/// into PostgresMirror, the HTTP contract `Schemas/openapi.yaml` into the Gateway.
@main
struct EmbedSchemas: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let schemas = context.package.directoryURL.appending(path: "Schemas")
        let (name, folder, files): (String, URL?, [URL])
        switch target.name {
        case "Gateway":
            (name, folder, files) = ("embeddedContract", nil, [schemas.appending(path: "openapi.yaml")])
        default:
            let sql = schemas.appending(path: "sql")
            let migrations = try FileManager.default.contentsOfDirectory(at: sql, includingPropertiesForKeys: nil)
                .filter { $0.pathExtension == "sql" }
                .sorted { $0.lastPathComponent < $1.lastPathComponent }
            (name, folder, files) = ("embeddedMigrations", sql, migrations)
        }
        let output = context.pluginWorkDirectoryURL.appending(path: "Embedded-\(name).swift")
        return [.buildCommand(
            displayName: "Embedding \(files.count) file(s) of Schemas as \(name)",
            executable: try context.tool(named: "EmbedSchemasTool").url,
            arguments: [output.path, name] + files.map(\.path),
            inputFiles: files + (folder.map { [$0] } ?? []),
            outputFiles: [output])]
    }
}
