/// How search compares emoji: by the emoji itself, without its presentation selector or skin tone, so 👋🏽 finds
/// stickers tagged 👋 and ❤ finds ❤️. A ZWJ sequence (👨‍👩‍👧), a flag (🇯🇵) and a keycap (1️⃣) are one emoji each
/// and only match as a whole.
public enum EmojiKey {
    /// Whether `character` is an emoji (the rule manifests use for a sticker's emojis).
    public static func isEmoji(_ character: Character) -> Bool {
        let scalars = character.unicodeScalars
        // Skin tones and selectors alone (🏽, 🏽🏽) modify an emoji; they are not one.
        guard scalars.contains(where: { !isModifier($0) }) else { return false }
        if scalars.contains(where: { $0.properties.isEmojiPresentation }) { return true }
        // Text-default emoji (☺, ❤) count when followed by the emoji variation selector or a keycap, or when they
        // are not ASCII (digits, # and * are emoji only as keycaps).
        return scalars.contains(where: { $0.properties.isEmoji && !$0.isASCII }) || scalars.contains(where: { $0.value == 0xFE0F || $0.value == 0x20E3 })
    }

    /// The emoji's search key: its scalars without variation selectors (U+FE0E, U+FE0F) and skin-tone modifiers
    /// (U+1F3FB–U+1F3FF), anywhere in the sequence.
    public static func key(_ character: Character) -> String {
        var scalars = String.UnicodeScalarView()
        for scalar in character.unicodeScalars where !isModifier(scalar) { scalars.append(scalar) }
        // A lone modifier (🏽 typed on its own) keys as itself.
        return scalars.isEmpty ? String(character) : String(scalars)
    }

    /// Variation selectors and skin-tone modifiers.
    static func isModifier(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0xFE0E, 0xFE0F, 0x1F3FB...0x1F3FF: true
        default: false
        }
    }
}
