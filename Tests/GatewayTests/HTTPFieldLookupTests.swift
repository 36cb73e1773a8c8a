@testable import Gateway
import HTTPTypes
import Testing

@Suite struct HTTPFieldLookupTests {
    @Test func aFieldReadsAsTheSubscriptReadsIt() throws {
        let key = try #require(HTTPField.Name("Idempotency-Key"))
        var fields = HTTPFields()
        fields.append(HTTPField(name: .authorization, value: "Bearer abc"))
        fields.append(HTTPField(name: try #require(HTTPField.Name("idempotency-key")), value: "one"))
        fields.append(HTTPField(name: .accept, value: "text/html"))
        fields.append(HTTPField(name: .accept, value: "application/json"))
        for name in [HTTPField.Name.authorization, key, .accept, .origin, .cookie] {
            #expect(fields.value(name) == fields[name], "\(name)")
            #expect(fields.has(name) == (fields[name] != nil), "\(name)")
        }
        #expect(fields.value(key) == "one")
        #expect(fields.value(.accept) == "text/html, application/json")
        #expect(fields.value(.origin) == nil && !fields.has(.origin))
    }
}
