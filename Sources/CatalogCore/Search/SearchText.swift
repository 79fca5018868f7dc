import Foundation

/// How search compares text: the same folding for what is indexed and what is typed, so "Café", "CAFE" and "cafe"
/// are one word, "ﬁsh" (a ligature) is "fish", and "Straße" is "strasse".
///
/// Folding is NFKD (compatibility decomposition), then combining diacritics dropped (Latin, Greek and Cyrillic
/// accents, Hebrew points, Arabic harakat), then lower case with the full case folds of ß and final sigma, then NFC
/// so that scripts whose marks are letters (Japanese dakuten, Hangul, Thai vowels) come back composed.
public enum SearchText {
    /// One word of folded text, and whether it is in a script written without spaces between words (Chinese,
    /// Japanese, Thai, Lao, Khmer, Myanmar), which search matches by substring.
    public struct Word: Sendable, Hashable {
        public var text: String
        public var unspaced: Bool
    }

    /// `text` folded (see the type's comment); ASCII takes a byte-wise path.
    public static func fold(_ text: String) -> String {
        if text.utf8.allSatisfy({ $0 < 0x80 }) { return text.lowercased() }
        var scalars = String.UnicodeScalarView()
        for scalar in text.decomposedStringWithCompatibilityMapping.unicodeScalars where !isFoldedMark(scalar) {
            switch scalar.value {
            case 0xDF: scalars.append(contentsOf: "ss".unicodeScalars)
            case 0x3C2: scalars.append("\u{3C3}")
            default: scalars.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
            }
        }
        return String(scalars).precomposedStringWithCanonicalMapping
    }

    /// The words of `text` after folding: runs of letters, numbers and marks, split where a script written with
    /// spaces meets one written without ("line友達" is "line" and "友達").
    public static func words(_ text: String) -> [Word] {
        var words: [Word] = []
        var current = String.UnicodeScalarView()
        var currentUnspaced = false
        func finish() {
            if !current.isEmpty { words.append(Word(text: String(current), unspaced: currentUnspaced)) }
            current = String.UnicodeScalarView()
        }
        for scalar in fold(text).unicodeScalars {
            guard isWordScalar(scalar) else { finish(); continue }
            let unspaced = isUnspacedScript(scalar)
            // A mark belongs to the word before it, whatever its script.
            if !current.isEmpty, unspaced != currentUnspaced, !isMark(scalar) { finish() }
            if current.isEmpty { currentUnspaced = unspaced }
            current.append(scalar)
        }
        finish()
        return words
    }

    static func isWordScalar(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.value < 0x80 {
            let byte = UInt8(scalar.value)
            return (byte >= 0x30 && byte <= 0x39) || (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A)
        }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
             .decimalNumber, .letterNumber, .otherNumber, .nonspacingMark, .spacingMark, .enclosingMark:
            // The keycap's enclosing mark and emoji modifiers are emoji, not words.
            return scalar.value != 0x20E3 && !scalar.properties.isEmojiPresentation
        default:
            return false
        }
    }

    static func isMark(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark: return true
        default: return false
        }
    }

    /// Combining marks folding removes: diacritics that distinguish letters only by accent.
    static func isFoldedMark(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x0300...0x036F, 0x1AB0...0x1AFF, 0x1DC0...0x1DFF, 0xFE20...0xFE2F: return true  // combining diacritical marks
        case 0x0591...0x05BD, 0x05BF, 0x05C1...0x05C2, 0x05C4...0x05C5, 0x05C7: return true  // Hebrew points and accents
        case 0x064B...0x065F, 0x0670: return true  // Arabic harakat, superscript alef
        default: return false
        }
    }

    /// Scripts written without spaces between words.
    static func isUnspacedScript(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x0E00...0x0EFF: return true  // Thai, Lao
        case 0x1000...0x109F: return true  // Myanmar
        case 0x1780...0x17FF: return true  // Khmer
        case 0x2E80...0x2FDF, 0x3005...0x3007, 0x3021...0x3029, 0x3038...0x303B: return true  // CJK radicals, ideographic marks
        case 0x3040...0x30FF, 0x31F0...0x31FF: return true  // Hiragana, Katakana
        case 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xF900...0xFAFF, 0x20000...0x3FFFF: return true  // Han
        default: return false
        }
    }
}
