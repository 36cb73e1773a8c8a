/// Splits a SQL script into statements at top-level semicolons, respecting quotes, dollar quotes and
/// comments. PostgresNIO speaks only the extended query protocol, which runs one statement per query.
enum SQLScript {
    static func statements(_ script: String) -> [String] {
        let text = Array(script.unicodeScalars)
        var statements: [String] = []
        var current = String.UnicodeScalarView()
        var index = 0
        func flush() {
            let statement = String(current).trimmingCharacters(in: .whitespacesAndNewlines)
            if !statement.isEmpty, !isOnlyComments(statement) { statements.append(statement) }
            current = String.UnicodeScalarView()
        }
        func copy(until end: Int) {
            current.append(contentsOf: text[index..<min(end, text.count)])
            index = min(end, text.count)
        }
        while index < text.count {
            let scalar = text[index]
            let next = index + 1 < text.count ? text[index + 1] : nil
            switch scalar {
            case "'", "\"":
                var end = index + 1
                while end < text.count {
                    if text[end] == scalar {
                        if end + 1 < text.count, text[end + 1] == scalar { end += 2; continue }
                        break
                    }
                    end += 1
                }
                copy(until: end + 1)
            case "-" where next == "-":
                var end = index
                while end < text.count, text[end] != "\n" { end += 1 }
                copy(until: end)
            case "/" where next == "*":
                var end = index + 2
                while end + 1 < text.count, !(text[end] == "*" && text[end + 1] == "/") { end += 1 }
                copy(until: end + 2)
            case "$":
                var tagEnd = index + 1
                while tagEnd < text.count, text[tagEnd] == "_" || text[tagEnd].properties.isAlphabetic
                    || (tagEnd > index + 1 && ("0"..."9").contains(text[tagEnd])) { tagEnd += 1 }
                guard tagEnd < text.count, text[tagEnd] == "$" else { copy(until: index + 1); continue }
                let tag = Array(text[index...tagEnd])
                var end = tagEnd + 1
                while end + tag.count <= text.count, Array(text[end..<end + tag.count]) != tag { end += 1 }
                copy(until: end + tag.count)
            case ";":
                index += 1
                flush()
            default:
                copy(until: index + 1)
            }
        }
        flush()
        return statements
    }

    private static func isOnlyComments(_ statement: String) -> Bool {
        statement.split(separator: "\n").allSatisfy { $0.trimmingCharacters(in: .whitespaces).hasPrefix("--") }
    }
}

import Foundation
