import EventLog
import Foundation
import MovieMashCore
import Projections
import Testing
import TestSupport

/// MovieLens-100k through the projections, checked against independent Python (plain Elo; scipy's
/// optimizer for Bradley–Terry). `Scripts/test` downloads the data and sets MOVIEMASH_TEST_MOVIELENS.
@Suite struct MovieLensReferenceTests {
    static func dataset() throws -> MovieLens {
        let directory = try TestEnvironment.value(of: "MOVIEMASH_TEST_MOVIELENS", for: "MovieLens-100k")
        return try MovieLens(directory: directory)
    }

    static func python(_ script: String, _ dump: String) async throws -> [String: [String: Double]] {
        let result = try await run("/usr/bin/env", ["python3", repositoryRoot.appendingPathComponent("Scripts/reference/\(script)").path, dump])
        guard result.status == 0 else { throw TestSetupError("\(script) failed: \(result.error)") }
        return try JSONDecoder().decode([String: [String: Double]].self, from: Data(result.output.utf8))
    }

    @Test func importFollowsTheDocumentedRules() throws {
        let movieLens = try Self.dataset()
        #expect(movieLens.ratings.count == 100_000 && movieLens.items.count == 1682)
        let events = try movieLens.events(votesPerVoter: 2, seed: 1)
        let films = events.compactMap { if case .movieCatalogued(let movie) = $0.event { movie } else { nil } }
        let titles = films.map(\.title)
        #expect(titles.contains("The Godfather") && titles.contains("Das Boot") && titles.contains("The Usual Suspects"))
        #expect(titles.contains("The Horseman on the Roof (Le Hussard sur le toit)") && titles.contains("8 1/2") && titles.contains("187"))
        #expect(!titles.contains { $0.range(of: #", (The|A|An|La|Le|Les|Il|Das|Der|L')( \(|\)|$)"#, options: .regularExpression) != nil })
        #expect(!titles.contains { ["unknown", "unkonwn"].contains($0.lowercased()) })
        let distinct = Set(films.map { "\($0.title)|\($0.year ?? 0)" })
        #expect(distinct.count == films.count, "one film per natural title and year: MovieLens's duplicate entries merged")
        // 1,682 entries: "unkonwn" dropped, 18 films listed twice merged.
        #expect(films.count == 1682 - 1 - 18, "\(films.count) films")
        #expect(films.allSatisfy { $0.source == .movielens && $0.poster == nil })

        let sets = events.compactMap { if case .top4SetScraped(let set) = $0.event { set } else { nil } }
        #expect(sets.count == 943)
        #expect(Set(sets.map(\.letterboxdUser)).count == 943 && sets.allSatisfy { !$0.letterboxdUser.hasPrefix("ml_") })
        let catalogue = Dictionary(uniqueKeysWithValues: films.map { ($0.movieID, $0) })
        for set in sets {
            let shown = set.movieIDs.map { "\(catalogue[$0]!.title)|\(catalogue[$0]!.year ?? 0)" }
            #expect(Set(shown).count == 4, "\(set.letterboxdUser)'s four shows a film twice")
        }
        let user1 = movieLens.films.ratings.filter { $0.user == 1 }
        let best = user1.map(\.rating).max()!
        let top = user1.filter { $0.rating == best }.sorted { ($0.timestamp, $0.item) < ($1.timestamp, $1.item) }.prefix(4)
        let byItem = Dictionary(uniqueKeysWithValues: films.map { ($0.letterboxdID, $0.movieID) })
        #expect(sets.first { $0.letterboxdUser == MovieLens.ownerName(1) }?.movieIDs == top.map { byItem[Int64($0.item)]! })
        #expect(try movieLens.events(votesPerVoter: 2, seed: 1) == events, "the same files and seed give the same events")
    }

    @Test func eloAndBradleyTerryEqualIndependentComputations() async throws {
        let events = try Self.dataset().events(votesPerVoter: 20, seed: 1)
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        var dump = Data()
        for (position, event) in events.enumerated() {
            var positioned = event
            positioned.position = UInt64(position)
            dump += EventCodec.json(positioned) + Data([0x0A])
        }
        try dump.write(to: URL(fileURLWithPath: directory.file("dump.jsonl")))
        var elo = EloRatings(), counts = BradleyTerryCounts()
        for event in events {
            elo.apply(event)
            counts.apply(event)
        }
        let votes = events.filter { $0.type == .voteCast }.count
        #expect(votes > 15_000)

        let reference = try await Self.python("elo.py", directory.file("dump.jsonl"))
        #expect(reference["sets"]!.count == elo.sets.count && reference["films"]!.count == elo.films.count)
        let setError = elo.sets.map { abs(elo.rating(of: $0)! - reference["sets"]![$0.description]!) }.max()!
        let filmError = elo.films.map { abs(elo.rating(of: $0)! - reference["films"]![$0.slug]!) }.max()!
        #expect(setError <= 1e-9 && filmError <= 1e-9, "Elo differs from the reference by \(setError) (sets), \(filmError) (films)")

        let optimum = try await Self.python("bradley_terry.py", directory.file("dump.jsonl"))
        let sets = BradleyTerry.fit(ComparisonGraph(counts.sets)).theta
        let films = FilmTeams.estimate(counts)
        #expect(optimum["films"]!.count == counts.films.count)
        let setGap = counts.sets.items.enumerated().map { abs(sets[$0] - optimum["sets"]![$1.description]!) }.max()!
        let filmGap = counts.films.enumerated().map { abs(films[$0] - optimum["films"]![$1.slug]!) }.max()!
        #expect(setGap <= 1e-6 && filmGap <= 1e-6, "Bradley–Terry differs from scipy's optimum by \(setGap) (sets), \(filmGap) (films as teams)")
    }
}
