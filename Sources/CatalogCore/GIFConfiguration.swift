import Foundation
import OpenIMContent

/// What clients need to search GIFs with a provider directly (GIPHY's terms require client-side calls), and the
/// rules a sent GIF must meet. One document, versioned with the catalog.
public struct GIFConfiguration: Sendable, Equatable {
    /// GIF providers. Tenor's public API closed to third parties on 2026-06-30: `tenor` is for legacy keys only;
    /// Klipy copies Tenor's API shape.
    public enum Provider: String, Sendable, CaseIterable {
        case klipy, giphy, tenor, none
    }

    /// GIPHY's content ratings, the service's one safety scale; Tenor-shaped providers get the matching
    /// `contentfilter` (derived, see `contentFilter`).
    public enum Rating: String, Sendable, CaseIterable {
        case g, pg
        case pg13 = "pg-13"
        case r
    }

    /// A featured search term with its labels by locale.
    public struct FeaturedTerm: Sendable, Equatable {
        public var term: String
        public var label: [String: String]

        public init(term: String, label: [String: String]) {
            self.term = term
            self.label = label
        }
    }

    public var provider: Provider
    public var enabled: Bool
    /// The provider's API base URL (https), e.g. `https://api.giphy.com/v1`.
    public var apiBase: String?
    /// The public, client-side key (GIPHY `api_key`, Tenor/Klipy `key`).
    public var clientKey: String?
    /// Tenor/Klipy `client_key`: the integration's name, sent by clients.
    public var clientName: String?
    public var rating: Rating
    /// Default locale (`en`, `zh-Hans`) and country (ISO 3166 alpha-2, `US`).
    public var locale: String
    public var country: String
    /// Results per search request.
    public var searchLimit: Int
    /// Rendition names in order of preference (`tinygif`, `gif`, `mp4`, or GIPHY's `fixed_width` …).
    public var renditions: [String]
    /// What a client may send: bytes of the sent file and its largest sides.
    public var maximumBytes: Int
    public var maximumWidth: Int
    public var maximumHeight: Int
    /// Hosts a sent GIF's URLs may come from: exact names, or `*.example.com` for any subdomain.
    public var allowedHosts: [String]
    public var featured: [FeaturedTerm]

    public init(
        provider: Provider, enabled: Bool, apiBase: String? = nil, clientKey: String? = nil, clientName: String? = nil,
        rating: Rating = .g, locale: String = "en", country: String = "US", searchLimit: Int = 24,
        renditions: [String] = [], maximumBytes: Int = GIFConfiguration.defaultMaximumBytes,
        maximumWidth: Int = GIFConfiguration.defaultMaximumSide, maximumHeight: Int = GIFConfiguration.defaultMaximumSide,
        allowedHosts: [String] = [], featured: [FeaturedTerm] = []
    ) {
        self.provider = provider
        self.enabled = enabled
        self.apiBase = apiBase
        self.clientKey = clientKey
        self.clientName = clientName
        self.rating = rating
        self.locale = locale
        self.country = country
        self.searchLimit = searchLimit
        self.renditions = renditions
        self.maximumBytes = maximumBytes
        self.maximumWidth = maximumWidth
        self.maximumHeight = maximumHeight
        self.allowedHosts = allowedHosts
        self.featured = featured
    }

    /// The configuration before an admin sets one: no provider, GIFs off.
    public static let disabled = GIFConfiguration(provider: .none, enabled: false)

    public static let defaultMaximumBytes = 8 * 1024 * 1024
    public static let defaultMaximumSide = 1024
    /// Bounds the document's rules check against.
    public static let searchLimits = 1...50
    public static let byteLimits = 1...(50 * 1024 * 1024)
    public static let sideLimits = 1...4096
    public static let maximumHosts = 32
    public static let maximumRenditions = 8
    public static let maximumFeatured = 32
    public static let maximumKeyLength = 256

    /// Whether clients may send GIFs at all.
    public var isActive: Bool { enabled && provider != .none }

    /// Tenor/Klipy's `contentfilter` for `rating` (high ≈ G, medium ≈ PG, low ≈ PG-13, off ≈ R).
    public var contentFilter: String {
        switch rating {
        case .g: return "high"
        case .pg: return "medium"
        case .pg13: return "low"
        case .r: return "off"
        }
    }

    /// Whether `host` (lowercased) is one of the allowed hosts or a subdomain of a `*.` entry.
    public func allows(host: String) -> Bool {
        let host = host.lowercased()
        for allowed in allowedHosts {
            if allowed.hasPrefix("*.") {
                let suffix = allowed.dropFirst(1) // ".example.com"
                if host.hasSuffix(suffix), host.count > suffix.count { return true }
            } else if host == allowed {
                return true
            }
        }
        return false
    }

    /// Writes the document (keys sorted). The server-side key is never written: `serverApiKeySet` tells admins
    /// whether one is stored.
    /// `revision` and `updatedAt` are left out when nil (the stored form, where they are columns).
    public func write(to writer: inout JSONWriter, revision: Int?, updatedAt: Date?, serverApiKeySet: Bool?, catalogVersion: Int64? = nil) {
        writer.object { object in
            object.member("allowedHosts", allowedHosts)
            object.member("apiBase", apiBase)
            object.member("catalogVersion", catalogVersion)
            object.member("clientKey", clientKey)
            object.member("clientName", clientName)
            object.member("contentFilter", contentFilter)
            object.member("country", country)
            object.member("enabled", enabled)
            object.member("featured") { featuredWriter in
                featuredWriter.array(featured) { array, item in
                    array.object { member in
                        member.member("label") { $0.stringObject(item.label) }
                        member.member("term", item.term)
                    }
                }
            }
            object.member("locale", locale)
            object.member("maxBytes", maximumBytes)
            object.member("maxHeight", maximumHeight)
            object.member("maxWidth", maximumWidth)
            object.member("provider", provider.rawValue)
            object.member("rating", rating.rawValue)
            object.member("renditions", renditions)
            object.member("revision", revision)
            object.member("searchLimit", searchLimit)
            if let serverApiKeySet { object.member("serverApiKeySet", serverApiKeySet) }
            if let updatedAt { object.member("updatedAt", ISO8601.format(updatedAt)) }
        }
    }
}

/// What a PUT of the GIF configuration asks for: the document and what to do with the server-side key.
public struct GIFConfigurationUpdate: Sendable, Equatable {
    /// How the stored server-side key changes.
    public enum ServerKeyChange: Sendable, Equatable {
        /// The member was absent: keep the stored key (a GET document PUT back must not erase it).
        case keep
        /// `null` or `""`: remove it.
        case clear
        case set(String)
    }

    public var configuration: GIFConfiguration
    public var serverApiKey: ServerKeyChange
}

/// Reads and checks GIF configuration documents, naming every bad field.
public enum GIFConfigurationParser {
    static let fields: Set<String> = [
        "provider", "enabled", "apiBase", "clientKey", "clientName", "serverApiKey", "rating", "locale", "country",
        "searchLimit", "renditions", "maxBytes", "maxWidth", "maxHeight", "allowedHosts", "featured",
    ]
    /// Members a GET returns that a PUT may carry back; they are ignored.
    static let readOnlyFields: Set<String> = ["revision", "updatedAt", "version", "catalogVersion", "serverApiKeySet", "contentFilter"]
    public static let maximumDocumentBytes = 64 * 1024

    public static func parse(_ bytes: [UInt8]) throws(PackValidationError) -> GIFConfigurationUpdate {
        let (json, members) = try Issues.object(bytes, field: "body", limit: maximumDocumentBytes)
        var issues = Issues()
        issues.rejectUnknown(members, allowed: fields, ignored: readOnlyFields, path: "")

        var provider = GIFConfiguration.Provider.none
        if let text = issues.string(json, "provider", path: "provider") {
            if let parsed = GIFConfiguration.Provider(rawValue: text) { provider = parsed } else {
                issues.add("provider", "must be one of \(GIFConfiguration.Provider.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }
        let enabled: Bool
        switch json["enabled"] {
        case .bool(let flag)?: enabled = flag
        case nil, .null?: issues.add("enabled", "is required: true or false"); enabled = false
        default: issues.add("enabled", "must be true or false"); enabled = false
        }
        if enabled, provider == .none { issues.add("enabled", "cannot be true when provider is none") }
        let needsProvider = provider != .none

        var apiBase: String?
        if let text = issues.optionalString(json, "apiBase", path: "apiBase") {
            if HTTPSURL(text) != nil, text.utf8.count <= 512, !text.contains("?"), !text.contains("#") {
                apiBase = text.hasSuffix("/") ? String(text.dropLast()) : text
            } else {
                issues.add("apiBase", "must be an https URL without query or fragment, e.g. https://api.giphy.com/v1")
            }
        } else if needsProvider {
            issues.add("apiBase", "is required when provider is \(provider.rawValue)")
        }
        let clientKey = issues.key(json, "clientKey", required: needsProvider, provider: provider)
        let clientName = issues.key(json, "clientName", required: false, provider: provider)

        var serverKey = GIFConfigurationUpdate.ServerKeyChange.keep
        switch json["serverApiKey"] {
        case nil: break
        case .null?: serverKey = .clear
        case .string(let text)?:
            if text.isEmpty { serverKey = .clear } else if Issues.isKey(text) {
                serverKey = .set(text)
            } else {
                issues.add("serverApiKey", "must be 1 to \(GIFConfiguration.maximumKeyLength) printable ASCII characters")
            }
        default: issues.add("serverApiKey", "must be a string, or null to remove the stored key")
        }

        var rating = GIFConfiguration.Rating.g
        if let text = issues.optionalString(json, "rating", path: "rating") {
            if let parsed = GIFConfiguration.Rating(rawValue: text) { rating = parsed } else { issues.add("rating", "must be one of g, pg, pg-13, r") }
        }
        var locale = "en"
        if let text = issues.optionalString(json, "locale", path: "locale") {
            if Issues.isLocale(text) { locale = text } else { issues.add("locale", "is not a locale tag such as en or zh-Hans") }
        }
        var country = "US"
        if let text = issues.optionalString(json, "country", path: "country") {
            if text.utf8.count == 2, text.utf8.allSatisfy({ (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) }) { country = text } else {
                issues.add("country", "must be an ISO 3166 alpha-2 code in capitals, e.g. US")
            }
        }
        let searchLimit = issues.optionalInteger(json, "searchLimit", path: "searchLimit", range: GIFConfiguration.searchLimits) ?? 24
        let maximumBytes = issues.optionalInteger(json, "maxBytes", path: "maxBytes", range: GIFConfiguration.byteLimits) ?? GIFConfiguration.defaultMaximumBytes
        let maximumWidth = issues.optionalInteger(json, "maxWidth", path: "maxWidth", range: GIFConfiguration.sideLimits) ?? GIFConfiguration.defaultMaximumSide
        let maximumHeight = issues.optionalInteger(json, "maxHeight", path: "maxHeight", range: GIFConfiguration.sideLimits) ?? GIFConfiguration.defaultMaximumSide

        var renditions: [String] = []
        if let list = issues.stringList(json["renditions"], path: "renditions", maxCount: GIFConfiguration.maximumRenditions, maxLength: 32) {
            for (index, name) in list.enumerated() {
                if name.utf8.allSatisfy({ Issues.isNameByte($0) }) { renditions.append(name) } else {
                    issues.add("renditions[\(index)]", "must be a rendition name of letters, digits, _ . -")
                }
            }
            if Set(renditions).count != renditions.count { issues.add("renditions", "names a rendition twice") }
        }

        var hosts: [String] = []
        if let list = issues.stringList(json["allowedHosts"], path: "allowedHosts", maxCount: GIFConfiguration.maximumHosts, maxLength: 253) {
            for (index, host) in list.enumerated() {
                if Issues.isHostPattern(host) { hosts.append(host.lowercased()) } else {
                    issues.add("allowedHosts[\(index)]", "must be a host name such as media.giphy.com or *.giphy.com (no scheme, port or path)")
                }
            }
            if Set(hosts).count != hosts.count { issues.add("allowedHosts", "names a host twice") }
        }
        if needsProvider, hosts.isEmpty, !issues.list.contains(where: { $0.field.hasPrefix("allowedHosts") }) {
            issues.add("allowedHosts", "must name at least one media host when provider is \(provider.rawValue)")
        }

        var featured: [GIFConfiguration.FeaturedTerm] = []
        switch json["featured"] {
        case nil, .null?: break
        case .array(let elements)?:
            if elements.count > GIFConfiguration.maximumFeatured {
                issues.add("featured", "must have at most \(GIFConfiguration.maximumFeatured) entries, not \(elements.count)")
            }
            for (index, element) in elements.prefix(GIFConfiguration.maximumFeatured).enumerated() {
                let path = "featured[\(index)]"
                guard case .object(let itemMembers) = element else { issues.add(path, "must be an object with term and label"); continue }
                issues.rejectUnknown(itemMembers, allowed: ["term", "label"], ignored: [], path: path)
                let term = issues.string(element, "term", path: "\(path).term").flatMap { issues.text($0, path: "\(path).term", maxLength: 64) }
                let label = issues.localized(element["label"], path: "\(path).label", maxLength: 64, required: true)
                if let term, let label { featured.append(.init(term: term, label: label)) }
            }
            if Set(featured.map(\.term)).count != featured.count { issues.add("featured", "names a term twice") }
        default:
            issues.add("featured", "must be an array of {term, label}")
        }

        if !issues.list.isEmpty { throw PackValidationError(.invalid, issues.list) }
        let configuration = GIFConfiguration(
            provider: provider, enabled: enabled, apiBase: apiBase, clientKey: clientKey, clientName: clientName, rating: rating,
            locale: locale, country: country, searchLimit: searchLimit, renditions: renditions, maximumBytes: maximumBytes,
            maximumWidth: maximumWidth, maximumHeight: maximumHeight, allowedHosts: hosts, featured: featured
        )
        return GIFConfigurationUpdate(configuration: configuration, serverApiKey: serverKey)
    }

    /// Reads a stored document (written by `write(to:…)`); nil when it does not parse, which callers treat as a
    /// corrupt row.
    public static func stored(_ bytes: [UInt8]) -> GIFConfiguration? {
        try? parse(bytes).configuration
    }
}

/// A URL split far enough to check a GIF's origin: https only, a host, an optional port and path.
public struct HTTPSURL: Sendable, Equatable {
    public var host: String
    public var path: String

    /// Parses `text`; nil unless it is `https://host[:port][/path…]` with a plausible host and no user info,
    /// spaces or control characters.
    public init?(_ text: String, allowingScheme scheme: String = "https") {
        let prefix = "\(scheme)://"
        guard text.utf8.count <= CatalogPayload.maximumURLBytes, text.lowercased().hasPrefix(prefix) else { return nil }
        guard !text.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F || $0 == UInt8(ascii: "\\") }) else { return nil }
        let rest = text.dropFirst(prefix.count)
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        guard !authority.contains("@") else { return nil }
        var hostPart = Substring(authority)
        if let colon = authority.lastIndex(of: ":") {
            let port = authority[authority.index(after: colon)...]
            guard let number = Int(port), (1...65535).contains(number) else { return nil }
            hostPart = authority[..<colon]
        }
        guard Issues.isHostPattern(String(hostPart)), !hostPart.hasPrefix("*") else { return nil }
        host = hostPart.lowercased()
        path = String(rest[authorityEnd...])
    }
}

extension Issues {
    /// A key: 1…256 printable ASCII characters, no spaces.
    static func isKey(_ text: String) -> Bool {
        (1...GIFConfiguration.maximumKeyLength).contains(text.utf8.count) && text.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }
    }

    static func isNameByte(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-")
    }

    /// A DNS host name of letters, digits and hyphens (labels 1–63, whole ≤ 253), optionally starting with `*.`.
    static func isHostPattern(_ text: String) -> Bool {
        var name = Substring(text)
        if name.hasPrefix("*.") { name = name.dropFirst(2) }
        guard (1...253).contains(name.utf8.count) else { return false }
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        return labels.allSatisfy { label in
            (1...63).contains(label.utf8.count) && label.first != "-" && label.last != "-"
                && label.utf8.allSatisfy { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: "-") }
        }
    }

    mutating func key(_ json: JSONValue, _ name: String, required: Bool, provider: GIFConfiguration.Provider) -> String? {
        guard let text = optionalString(json, name, path: name) else {
            if required { add(name, "is required when provider is \(provider.rawValue)") }
            return nil
        }
        guard Self.isKey(text) else {
            add(name, "must be 1 to \(GIFConfiguration.maximumKeyLength) printable ASCII characters")
            return nil
        }
        return text
    }
}

/// The GIF configuration as stored: the document, its revision (its admin ETag) and whether a server-side key is
/// stored (the key itself never leaves the store's write path).
public struct StoredGIFConfiguration: Sendable, Equatable {
    public var configuration: GIFConfiguration
    public var revision: Int
    public var updatedAt: Date
    public var serverApiKeySet: Bool

    public init(configuration: GIFConfiguration, revision: Int, updatedAt: Date, serverApiKeySet: Bool) {
        self.configuration = configuration
        self.revision = revision
        self.updatedAt = updatedAt
        self.serverApiKeySet = serverApiKeySet
    }

    /// Before migrations ran or an admin set anything.
    public static let initial = StoredGIFConfiguration(configuration: .disabled, revision: 1, updatedAt: Date(timeIntervalSince1970: 0), serverApiKeySet: false)

    /// The admin document's strong ETag, for If-Match.
    public var eTag: String { "\"r\(revision)\"" }

    /// The public document: everything a client needs, never the server-side key.
    public var publicBytes: [UInt8] {
        var writer = JSONWriter(capacity: 1024)
        configuration.write(to: &writer, revision: revision, updatedAt: updatedAt, serverApiKeySet: nil)
        return writer.bytes
    }

    /// The admin document, which PUTs back unchanged; says whether a server-side key is stored.
    public func adminBytes(catalogVersion: Int64?) -> [UInt8] {
        var writer = JSONWriter(capacity: 1024)
        configuration.write(to: &writer, revision: revision, updatedAt: updatedAt, serverApiKeySet: serverApiKeySet, catalogVersion: catalogVersion)
        return writer.bytes
    }
}
