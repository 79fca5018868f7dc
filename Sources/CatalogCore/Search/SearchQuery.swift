/// What a user typed, as search compares it: folded words and emoji keys, in the order typed, each once.
public struct SearchQuery: Sendable, Hashable {
    /// Most words and emoji one query may hold: a picker's search box, not a document.
    public static let maximumTerms = 8

    public var words: [SearchText.Word]
    public var emojis: [String]
    /// The locale whose texts rank first, lowercased (`zh-hans`); nil for none.
    public var locale: String?

    /// Splits `text` into emoji (each a key, see `EmojiKey`) and words between them (see `SearchText.words`).
    public init(text: String, locale: String?) {
        var emojis: [String] = []
        var rest = ""
        // ASCII holds no emoji (keycaps need U+20E3): no need to walk its characters.
        if text.utf8.allSatisfy({ $0 < 0x80 }) {
            rest = text
        } else {
            for character in text {
                if EmojiKey.isEmoji(character) {
                    let key = EmojiKey.key(character)
                    if !emojis.contains(key) { emojis.append(key) }
                    rest.append(" ")
                } else {
                    rest.append(character)
                }
            }
        }
        var words: [SearchText.Word] = []
        for word in SearchText.words(rest) where !words.contains(word) { words.append(word) }
        self.words = words
        self.emojis = emojis
        self.locale = locale?.lowercased()
    }

    public var termCount: Int { words.count + emojis.count }

    /// The query as compared: its words, then its emoji, separated by spaces.
    public var normalized: String { (words.map(\.text) + emojis).joined(separator: " ") }
}
