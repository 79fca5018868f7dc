/// Why a library change was refused; nothing was stored.
public enum LibraryError: Error, Sendable, Equatable {
    /// Ids that are malformed, unknown or repeated (422).
    case invalid([FieldIssue])
    /// The list would hold more than its cap (409, naming the cap).
    case capReached(list: LibraryList, cap: Int)
    /// The id is not in the list (404).
    case notInList(list: LibraryList, id: String)
}

/// The changes clients make to a library, each on the lists as they are now (`LibraryView`): whole-list
/// replacement, and the operations that need no read-modify-write (add, remove, move).
public enum LibraryEdit {
    /// Replaces `list` with `ids` (a PUT). Every id must be published, or already in the list (so a document read
    /// with `available: false` items can be written back unchanged).
    public static func replace(_ list: LibraryList, with ids: [String], in view: LibraryView) throws(LibraryError) -> StoredLibrary {
        let cap = view.settings.cap(list)
        guard ids.count <= cap else { throw .capReached(list: list, cap: cap) }
        let current = Set(view.ids(list))
        var seen = Set<String>()
        var issues: [FieldIssue] = []
        for (index, id) in ids.enumerated() {
            if !seen.insert(id).inserted {
                issues.append(FieldIssue(field: "items[\(index)]", message: "repeats \(id)"))
            } else if !current.contains(id), !view.isAvailable(id, in: list) {
                issues.append(FieldIssue(field: "items[\(index)]", message: unknown(id, list: list)))
            }
        }
        guard issues.isEmpty else { throw .invalid(issues) }
        var library = view.stored
        library.set(list, ids)
        return library
    }

    /// Adds `id` at `position` (the front by default; recents always at the front). Installing a pack unhides it and
    /// hiding one uninstalls it. Recents drop their oldest when full; the other lists refuse at their cap.
    public static func add(_ id: String, to list: LibraryList, at position: Int? = nil, in view: LibraryView) throws(LibraryError) -> StoredLibrary {
        var ids = view.ids(list)
        let present = ids.firstIndex(of: id)
        if present == nil, !view.isAvailable(id, in: list) { throw .invalid([FieldIssue(field: list.holdsPacks ? "packId" : "stickerId", message: unknown(id, list: list))]) }
        var library = view.stored
        if list == .recents {
            ids.removeAll { $0 == id }
            ids.insert(id, at: 0)
            library.set(list, Array(ids.prefix(view.settings.recentsCap)))
            return library
        }
        if let present {
            guard let position else { return library }
            ids.remove(at: present)
            ids.insert(id, at: min(max(position, 0), ids.count))
        } else {
            let cap = view.settings.cap(list)
            guard ids.count < cap else { throw .capReached(list: list, cap: cap) }
            ids.insert(id, at: min(max(position ?? 0, 0), ids.count))
        }
        library.set(list, ids)
        if list == .installed, view.ids(.hidden).contains(id) { library.set(.hidden, view.ids(.hidden).filter { $0 != id }) }
        if list == .hidden, view.ids(.installed).contains(id) { library.set(.installed, view.ids(.installed).filter { $0 != id }) }
        return library
    }

    /// Removes `id` from `list` (nothing changes when it is not there).
    public static func remove(_ id: String, from list: LibraryList, in view: LibraryView) -> StoredLibrary {
        var library = view.stored
        let ids = view.ids(list)
        if ids.contains(id) { library.set(list, ids.filter { $0 != id }) }
        return library
    }

    /// Moves `id`, which must be in `list`, to `position` (0 is the front).
    public static func move(_ id: String, in list: LibraryList, to position: Int, in view: LibraryView) throws(LibraryError) -> StoredLibrary {
        var ids = view.ids(list)
        guard let present = ids.firstIndex(of: id) else { throw .notInList(list: list, id: id) }
        guard (0..<ids.count).contains(position) else {
            throw .invalid([FieldIssue(field: "position", message: "must be from 0 to \(ids.count - 1)")])
        }
        ids.remove(at: present)
        ids.insert(id, at: position)
        var library = view.stored
        library.set(list, ids)
        return library
    }

    static func unknown(_ id: String, list: LibraryList) -> String {
        list.holdsPacks ? "is not a published pack: \(id)" : "is not a published sticker: \(id)"
    }
}
