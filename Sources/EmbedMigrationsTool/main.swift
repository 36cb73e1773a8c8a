import Foundation

// Writes a Swift file declaring `embeddedMigrations`: the name and text of each SQL file given, in order.
// Usage: EmbedMigrationsTool OUTPUT.swift FILE.sql…
let arguments = CommandLine.arguments.dropFirst()
guard let output = arguments.first else {
    FileHandle.standardError.write(Data("usage: EmbedMigrationsTool OUTPUT.swift FILE.sql…\n".utf8))
    exit(2)
}
var source = "// Generated from Schemas/sql by the EmbedMigrations plugin; edit the SQL files, not this.\n"
source += "let embeddedMigrations: [(file: String, sql: String)] = [\n"
for path in arguments.dropFirst() {
    let url = URL(fileURLWithPath: path)
    let sql = try String(contentsOf: url, encoding: .utf8)
    // A raw string delimiter longer than any run of # in the text keeps it verbatim.
    var fence = "#"
    while sql.contains("\"" + fence) { fence += "#" }
    source += "    (\"\(url.lastPathComponent)\", \(fence)\"\"\"\n\(sql)\n\"\"\"\(fence)),\n"
}
source += "]\n"
try source.write(toFile: output, atomically: true, encoding: .utf8)
