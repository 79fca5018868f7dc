import CatalogCore
import NIOCore
import NIOHTTP1

/// A request refused before it reaches the router (as a parse error is): `ExpectContinueHandler` answers it with
/// `problem` once every earlier request is answered, then closes the connection.
struct RequestRefusal: Error {
    let problem: Problem
}
