import Foundation
import Testing
import TestSupport

@Suite struct ModuleTableTests {
    /// The module table of `Documentation/Architecture.md` names every module of `Sources/`, and each
    /// module's declared dependencies on our own modules are the ones its row lists.
    @Test func theModuleTableMatchesThePackage() throws {
        let table = try String(contentsOf: repositoryRoot.appendingPathComponent("Documentation/Architecture.md"), encoding: .utf8)
        let rows = table.split(separator: "\n").filter { $0.hasPrefix("| `") }
        var listed: [String: String] = [:]
        for row in rows {
            let cells = row.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 4 else { continue }
            for name in cells[1].split(separator: ",") {
                listed[name.trimmingCharacters(in: CharacterSet(charactersIn: " `"))] = cells[3]
            }
        }
        let modules = try FileManager.default.contentsOfDirectory(atPath: repositoryRoot.appendingPathComponent("Sources").path)
        #expect(Set(listed.keys) == Set(modules))
        let manifest = try String(contentsOf: repositoryRoot.appendingPathComponent("Package.swift"), encoding: .utf8)
        #expect(manifest.declares("Projections", dependingOn: "Recommender") && !manifest.declares("Projections", dependingOn: "EventLog"))
        for module in modules where !["moviemash", "MovieMashServer", "EmbedFilesTool"].contains(module) {
            guard let dependencies = listed[module] else { continue }
            for other in modules where other != module && manifest.declares(module, dependingOn: other) {
                #expect(dependencies.contains(other), "Architecture.md: \(module) depends on \(other)")
            }
        }
    }
}

extension String {
    /// Whether the manifest's target `module` lists `other` among its dependencies.
    fileprivate func declares(_ module: String, dependingOn other: String) -> Bool {
        var search = startIndex..<endIndex
        var found: Range<Index>?
        while let match = range(of: "name: \"\(module)\"", range: search) {
            let from = index(match.lowerBound, offsetBy: -30, limitedBy: startIndex) ?? startIndex
            let before = self[from..<match.lowerBound]
            if before.contains("arget(") { found = match; break }
            search = match.upperBound..<endIndex
        }
        guard let start = found else { return false }
        let rest = self[start.upperBound...]
        let end = rest.range(of: "\n        .")?.lowerBound ?? rest.endIndex
        guard let dependencies = rest[..<end].range(of: "dependencies:") else { return false }
        return rest[dependencies.upperBound..<end].contains("\"\(other)\"")
    }
}
