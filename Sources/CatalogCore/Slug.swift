/// Identifiers of packs and stickers: `[a-z0-9][a-z0-9_-]{1,63}` (lowercase ASCII, safe in URLs and file names).
public enum Slug {
    /// Whether `value` is a valid slug.
    public static func isValid(_ value: String) -> Bool {
        let bytes = Array(value.utf8)
        guard CatalogLimits.identifierLength.contains(bytes.count) else { return false }
        for (offset, byte) in bytes.enumerated() {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"): continue
            case UInt8(ascii: "_"), UInt8(ascii: "-"): if offset == 0 { return false }
            default: return false
            }
        }
        return true
    }

    /// The rule, for error messages.
    public static let rule = "must match [a-z0-9][a-z0-9_-]{1,63}"
}
