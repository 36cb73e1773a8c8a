import CLibXML2

/// An HTML page parsed by libxml2's forgiving HTML parser (errors and warnings silenced, no network),
/// queried with XPath. Real pages are tag soup; the parser recovers the way browsers do.
public final class HTMLDocument {
    private let document: htmlDocPtr

    public init(_ bytes: [UInt8]) throws(ScrapeError) {
        let options = Int32(HTML_PARSE_RECOVER.rawValue | HTML_PARSE_NOERROR.rawValue | HTML_PARSE_NOWARNING.rawValue
            | HTML_PARSE_NONET.rawValue | HTML_PARSE_COMPACT.rawValue)
        let parsed = bytes.withUnsafeBufferPointer { buffer in
            buffer.baseAddress.map { base in
                base.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
                    htmlReadMemory($0, Int32(buffer.count), nil, "UTF-8", options)
                }
            } ?? nil
        }
        guard let parsed else { throw ScrapeError(.malformed, "the page is empty or not HTML") }
        document = parsed
    }

    public convenience init(_ text: String) throws(ScrapeError) {
        try self.init(Array(text.utf8))
    }

    deinit {
        xmlFreeDoc(document)
    }

    /// Nodes matching `xpath` from the document root.
    public func nodes(_ xpath: String) -> [HTMLNode] { evaluate(xpath, from: nil) }

    func evaluate(_ xpath: String, from node: xmlNodePtr?) -> [HTMLNode] {
        guard let context = xmlXPathNewContext(document) else { return [] }
        defer { xmlXPathFreeContext(context) }
        if let node { context.pointee.node = node }
        guard let result = xmlXPathEvalExpression(xpath, context) else { return [] }
        defer { xmlXPathFreeObject(result) }
        guard let set = result.pointee.nodesetval, set.pointee.nodeNr > 0 else { return [] }
        return (0..<Int(set.pointee.nodeNr)).compactMap { index in
            set.pointee.nodeTab[index].map { HTMLNode(node: $0, document: self) }
        }
    }
}

/// One element (or text node) of an `HTMLDocument`; it keeps its document alive.
public struct HTMLNode {
    let node: xmlNodePtr
    let document: HTMLDocument

    /// The attribute's value, if present.
    public func attribute(_ name: String) -> String? {
        guard let value = xmlGetProp(node, name) else { return nil }
        defer { mm_xml_free(value) }
        return String(cString: value)
    }

    /// All text inside, whitespace runs collapsed and trimmed.
    public var text: String {
        guard let content = xmlNodeGetContent(node) else { return "" }
        defer { mm_xml_free(content) }
        return String(cString: content).split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }

    /// The raw text inside (script bodies keep their layout).
    public var rawText: String {
        guard let content = xmlNodeGetContent(node) else { return "" }
        defer { mm_xml_free(content) }
        return String(cString: content)
    }

    /// Nodes matching `xpath` relative to this one (start it with `.`).
    public func nodes(_ xpath: String) -> [HTMLNode] { document.evaluate(xpath, from: node) }
}
