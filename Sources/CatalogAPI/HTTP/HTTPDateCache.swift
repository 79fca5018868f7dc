import CatalogCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Synchronization

/// The `Date` header value, formatted at most once per second.
enum HTTPDateCache {
    private static let cache = Mutex<(second: Int, text: String)>((-1, ""))

    static func now() -> String {
        let second = time(nil)
        return cache.withLock { cached in
            if cached.second != second {
                cached = (second, HTTPDate.format(Date(timeIntervalSince1970: TimeInterval(second))))
            }
            return cached.text
        }
    }
}
