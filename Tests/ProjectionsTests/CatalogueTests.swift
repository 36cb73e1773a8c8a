import Foundation
import MovieMashCore
import Testing

@testable import Projections

@Suite struct CatalogueTests {
    @Test func aUsersLatestSetIsFoundHoweverTheNameIsCasedAlsoAfterASnapshot() throws {
        var catalogue = Catalogue()
        let films = try ["a", "b", "c", "d"].map { slug throws in try MovieID(slug) }
        let older = try Top4SetScraped(letterboxdUser: "DaveHehe", movieIDs: films, scrapedAt: Timestamp(milliseconds: 1))
        let newer = try Top4SetScraped(letterboxdUser: "DaveHehe", movieIDs: films.reversed(), scrapedAt: Timestamp(milliseconds: 2))
        for (position, set) in [older, newer].enumerated() {
            catalogue.apply(EventEnvelope(position: UInt64(position), occurredAt: set.scrapedAt, event: .top4SetScraped(set)))
        }
        #expect(catalogue.latestSet(of: "davehehe") == newer && catalogue.latestSet(of: "DaveHehe") == newer)
        #expect(catalogue.latestSet(of: "someone_else") == nil)

        var writer = SnapshotWriter()
        catalogue.encodeState(into: &writer)
        var restored = Catalogue()
        var reader = SnapshotReader(writer.bytes)
        try restored.decodeState(from: &reader)
        #expect(restored.latestSet(of: "DAVEHEHE") == newer)
    }
}
