import Foundation

// Writes a Swift file declaring `NAME`: the name and text of each file given, in order.
// Usage: EmbedSchemasTool OUTPUT.swift NAME FILE…
let arguments = Array(CommandLine.arguments.dropFirst())
guard arguments.count >= 2 else {
    FileHandle.standardError.write(Data("usage: EmbedSchemasTool OUTPUT.swift NAME FILE…\n".utf8))
    exit(2)
}
let (output, name) = (arguments[0], arguments[1])
var source = "// Generated from Schemas by the EmbedSchemas plugin; edit the files there, not this.\n"
source += "let \(name): [(file: String, text: String)] = [\n"
for path in arguments.dropFirst(2) {
    let url = URL(fileURLWithPath: path)
    let text = try String(contentsOf: url, encoding: .utf8)
    // A raw string delimiter longer than any run of # in the text keeps it verbatim.
    var fence = "#"
    while text.contains("\"" + fence) { fence += "#" }
    source += "    (\"\(url.lastPathComponent)\", \(fence)\"\"\"\n\(text)\n\"\"\"\(fence)),\n"
}
source += "]\n"
try source.write(toFile: output, atomically: true, encoding: .utf8)
