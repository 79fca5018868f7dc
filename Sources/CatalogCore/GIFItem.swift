import OpenIMContent

/// Checks a provider GIF that a client or the gateway presents against the GIF configuration, and turns it into
/// the payload the OpenIMContent encoders take.
public enum GIFItem {
    static let fields: Set<String> = ["kind", "provider", "id", "url", "mp4Url", "previewUrl", "width", "height", "size"]

    /// Reads `{provider, id, url, width, height, mp4Url?, previewUrl?, size?}` (`kind` may be present) and checks
    /// it; every problem is named with its field under `path`.
    public static func parse(_ json: JSONValue, path: String = "", configuration: GIFConfiguration) -> Result<GIFPayload, PackValidationError> {
        func field(_ name: String) -> String { path.isEmpty ? name : "\(path).\(name)" }
        guard case .object(let members) = json else { return .failure(PackValidationError(.invalid, field: path.isEmpty ? "item" : path, "must be an object")) }
        var issues = Issues()
        issues.rejectUnknown(members, allowed: fields, ignored: [], path: path)
        let provider = issues.string(json, "provider", path: field("provider"))
        let id = issues.string(json, "id", path: field("id"))
        let url = issues.string(json, "url", path: field("url"))
        let mp4Url = issues.optionalString(json, "mp4Url", path: field("mp4Url"))
        let previewUrl = issues.optionalString(json, "previewUrl", path: field("previewUrl"))
        let width = issues.requiredInteger(json, "width", path: field("width"))
        let height = issues.requiredInteger(json, "height", path: field("height"))
        let size = issues.optionalInteger(json, "size", path: field("size"), range: 1...Int(Int32.max))
        guard issues.list.isEmpty, let provider, let id, let url, let width, let height else {
            return .failure(PackValidationError(.invalid, issues.list))
        }
        let payload = GIFPayload(provider: provider, providerId: id, url: url, mp4Url: mp4Url, previewUrl: previewUrl, width: width, height: height)
        let problems = check(payload, size: size.map(Int64.init), path: path, configuration: configuration)
        return problems.isEmpty ? .success(payload) : .failure(PackValidationError(.invalid, problems))
    }

    /// The rules a GIF must meet: GIFs enabled, the configured provider, a sane id, https URLs on allowed hosts,
    /// and sides (and bytes, when known) within the configured maxima.
    public static func check(_ gif: GIFPayload, size: Int64? = nil, path: String = "", configuration: GIFConfiguration) -> [FieldIssue] {
        func field(_ name: String) -> String { path.isEmpty ? name : "\(path).\(name)" }
        var issues: [FieldIssue] = []
        guard configuration.isActive else {
            return [FieldIssue(field: field("provider"), message: "GIFs are disabled in the GIF configuration")]
        }
        if gif.provider != configuration.provider.rawValue {
            issues.append(FieldIssue(field: field("provider"), message: "is \(gif.provider) but the configured provider is \(configuration.provider.rawValue)"))
        }
        if !(1...CatalogPayload.maximumIdentifierBytes).contains(gif.providerId.utf8.count) || !gif.providerId.utf8.allSatisfy(Issues.isNameByte) {
            issues.append(FieldIssue(field: field("id"), message: "must be 1 to \(CatalogPayload.maximumIdentifierBytes) letters, digits, _ . -"))
        }
        for (name, value) in [("url", Optional(gif.url)), ("mp4Url", gif.mp4Url), ("previewUrl", gif.previewUrl)] {
            guard let value else { continue }
            guard let url = HTTPSURL(value) else {
                issues.append(FieldIssue(field: field(name), message: "must be an https URL"))
                continue
            }
            if !configuration.allows(host: url.host) {
                issues.append(FieldIssue(field: field(name), message: "host \(url.host) is not in the allowed GIF hosts"))
            }
        }
        if !(1...Int64(configuration.maximumWidth)).contains(gif.width) {
            issues.append(FieldIssue(field: field("width"), message: "must be 1 to \(configuration.maximumWidth)"))
        }
        if !(1...Int64(configuration.maximumHeight)).contains(gif.height) {
            issues.append(FieldIssue(field: field("height"), message: "must be 1 to \(configuration.maximumHeight)"))
        }
        if let size, size > Int64(configuration.maximumBytes) {
            issues.append(FieldIssue(field: field("size"), message: "is \(size) bytes, more than the \(configuration.maximumBytes) allowed"))
        }
        return issues
    }
}

extension Issues {
    mutating func requiredInteger(_ object: JSONValue, _ key: String, path: String) -> Int64? {
        switch object[key] {
        case .integer(let number)?: return number
        case nil, .null?: add(path, "is required"); return nil
        default: add(path, "must be an integer"); return nil
        }
    }
}
