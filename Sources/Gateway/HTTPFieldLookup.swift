import HTTPTypes

extension HTTPFields {
    /// The value of the field `name`, as `self[name]` gives it: a field that appears once is returned as it
    /// is, without the joined copy `self[name]` builds for every lookup (several per request, on every
    /// request); a repeated one is joined as `self[name]` joins it.
    func value(_ name: HTTPField.Name) -> String? {
        var found: String?
        for field in self where field.name == name {
            guard found == nil else { return self[name] }
            found = field.value
        }
        return found
    }

    /// Whether a field `name` is present.
    func has(_ name: HTTPField.Name) -> Bool {
        contains { $0.name == name }
    }
}
