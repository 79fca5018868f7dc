import Foundation
import OpenIMContent

/// The four lists of a user's sticker library.
public enum LibraryList: String, CaseIterable, Sendable, Hashable {
    /// Installed packs, in the user's order.
    case installed
    /// Favorite stickers, most recently added first.
    case favorites
    /// Stickers the user sent, most recent first (fed by OpenIM's after-send webhooks).
    case recents
    /// Packs the user hid.
    case hidden

    /// Whether the list holds pack ids (else sticker ids).
    public var holdsPacks: Bool { self == .installed || self == .hidden }
}

/// How big each list may grow and what a new user starts with.
public struct LibrarySettings: Sendable, Equatable {
    /// Favorites: Telegram caps faved stickers (5 free, more with Premium); 20 by default here, 1–100.
    public var favoritesCap: Int
    /// Recents: Telegram keeps 20–200 recent stickers; 50 by default, 1–200. The oldest drop off when full.
    public var recentsCap: Int
    /// Packs installed or hidden: Telegram's limit on installed sets is 200.
    public var packCap: Int
    /// The packs a new user has installed; nil for the first `defaultPackCount` published packs in catalog order.
    public var defaultPacks: [String]?
    public static let defaultPackCount = 10

    public init(favoritesCap: Int = 20, recentsCap: Int = 50, packCap: Int = 200, defaultPacks: [String]? = nil) {
        self.favoritesCap = favoritesCap
        self.recentsCap = recentsCap
        self.packCap = packCap
        self.defaultPacks = defaultPacks
    }

    public func cap(_ list: LibraryList) -> Int {
        switch list {
        case .favorites: favoritesCap
        case .recents: recentsCap
        case .installed, .hidden: packCap
        }
    }
}

/// A user's lists as stored, each with its version (0: never written).
public struct StoredLibrary: Sendable, Equatable {
    /// Nil until the user changes it: the catalog's default set.
    public var installed: [String]?
    public var favorites: [String]
    public var recents: [String]
    public var hidden: [String]
    public var versions: [LibraryList: Int64]
    public var updatedAt: Date?

    public init(installed: [String]? = nil, favorites: [String] = [], recents: [String] = [], hidden: [String] = [], versions: [LibraryList: Int64] = [:], updatedAt: Date? = nil) {
        self.installed = installed
        self.favorites = favorites
        self.recents = recents
        self.hidden = hidden
        self.versions = versions
        self.updatedAt = updatedAt
    }

    /// A user who never had a library.
    public static let empty = StoredLibrary()

    /// A user id as OpenIM issues them and the library's paths carry them: 1–64 letters, digits or `._@+-`.
    public static func isUserId(_ id: String) -> Bool {
        (1...64).contains(id.utf8.count) && id.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || "._@+-".utf8.contains(byte)
        }
    }

    public func version(_ list: LibraryList) -> Int64 { versions[list] ?? 0 }

    /// The stored ids of `list` (nil for an installed list never written).
    public func stored(_ list: LibraryList) -> [String]? {
        switch list {
        case .installed: installed
        case .favorites: favorites
        case .recents: recents
        case .hidden: hidden
        }
    }

    /// Replaces `list`'s ids.
    public mutating func set(_ list: LibraryList, _ ids: [String]) {
        switch list {
        case .installed: installed = ids
        case .favorites: favorites = ids
        case .recents: recents = ids
        case .hidden: hidden = ids
        }
    }
}
