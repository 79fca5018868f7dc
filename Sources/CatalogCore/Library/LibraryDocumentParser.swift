import OpenIMContent

/// Reads a list document a client PUTs: `{"items": [...]}` where each item is an id or the object a GET gave
/// (`{"id", "available", "packId"}`). What a GET returns and a client cannot set (`list`, `cap`, `version`,
/// `available`, `packId`) is accepted and ignored, so a document read can be written back unchanged; anything else
/// is refused by name.
public enum LibraryDocumentParser {
    public static let maximumBodyBytes = 64 * 1024

    /// The ids of the document, in order (caps, duplicates and catalog membership are `LibraryEdit`'s to check).
    public static func parse(_ bytes: [UInt8]) throws(PackValidationError) -> [String] {
        guard bytes.count <= maximumBodyBytes else { throw PackValidationError(.malformed, field: "body", "is larger than \(maximumBodyBytes) bytes") }
        let json: JSONValue
        do {
            json = try JSONParser.parse(bytes)
        } catch {
            throw PackValidationError(.malformed, field: "body", "is not valid JSON: \(error)")
        }
        guard case .object(let members) = json else { throw PackValidationError(.malformed, field: "body", "must be a JSON object with items") }
        var issues: [FieldIssue] = []
        for member in members where member.key != "items" {
            switch (member.key, member.value) {
            // Read-only members are ignored, but only in the form a GET gives them.
            case ("list", .string), ("cap", .integer), ("version", .integer): continue
            case ("list", _): issues.append(FieldIssue(field: "list", message: "must be a string (it is read-only and ignored)"))
            case ("cap", _), ("version", _): issues.append(FieldIssue(field: member.key, message: "must be an integer (it is read-only and ignored)"))
            default: issues.append(FieldIssue(field: member.key, message: "is not a known field"))
            }
        }
        guard case .array(let elements)? = json["items"] else {
            issues.append(FieldIssue(field: "items", message: "is required: an array of ids"))
            throw PackValidationError(.invalid, issues)
        }
        var ids: [String] = []
        for (index, element) in elements.enumerated() {
            let path = "items[\(index)]"
            var id: String?
            switch element {
            case .string(let text): id = text
            case .object(let itemMembers):
                for member in itemMembers where member.key != "id" {
                    switch (member.key, member.value) {
                    case ("available", .bool), ("packId", .string): continue
                    case ("available", _): issues.append(FieldIssue(field: "\(path).available", message: "must be a boolean (it is read-only and ignored)"))
                    case ("packId", _): issues.append(FieldIssue(field: "\(path).packId", message: "must be a string (it is read-only and ignored)"))
                    default: issues.append(FieldIssue(field: "\(path).\(member.key)", message: "is not a known field"))
                    }
                }
                if case .string(let text)? = element["id"] { id = text } else { issues.append(FieldIssue(field: "\(path).id", message: "is required: a string")) }
            default:
                issues.append(FieldIssue(field: path, message: "must be an id or an object with an id"))
            }
            guard let id else { continue }
            if Slug.isValid(id) { ids.append(id) } else { issues.append(FieldIssue(field: path, message: "is not an id: \(Slug.rule)")) }
        }
        guard issues.isEmpty else { throw PackValidationError(.invalid, issues) }
        return ids
    }
}
