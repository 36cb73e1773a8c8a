import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One HTTP exchange with a JSON body, as the tests make them: the status, the body as JSON (empty when
/// it is not an object) and the headers by lowercased name.
public struct HTTPExchange {
    public var status: Int
    public var body: [String: Any]
    public var headers: [String: String]
    /// The body as text.
    public var rawBody: String

    /// The `MovieMash-Position` the response carries.
    public var position: Int? { headers["moviemash-position"].flatMap { Int($0) } }
}

/// Sends `method url` with `json` as body, `bearer` as token and any `headers`, and returns the answer.
public func exchange(
    _ method: String, _ url: String, json: [String: Any]? = nil, bearer: String? = nil, headers: [String: String] = [:],
    timeout: TimeInterval = 30
) async throws -> HTTPExchange {
    var request = URLRequest(url: URL(string: url)!)
    request.httpMethod = method
    request.timeoutInterval = timeout
    if let json {
        request.httpBody = try JSONSerialization.data(withJSONObject: json)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
    }
    if let bearer { request.setValue("Bearer " + bearer, forHTTPHeaderField: "Authorization") }
    for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
    let (data, response) = try await URLSession.shared.data(for: request)
    let http = response as? HTTPURLResponse
    var fields: [String: String] = [:]
    for (name, value) in http?.allHeaderFields ?? [:] {
        if let name = name as? String, let value = value as? String { fields[name.lowercased()] = value }
    }
    return HTTPExchange(
        status: http?.statusCode ?? 0, body: (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:], headers: fields,
        rawBody: String(decoding: data, as: UTF8.self))
}
