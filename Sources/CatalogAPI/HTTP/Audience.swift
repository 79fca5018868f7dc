import HTTPTypes
import Hummingbird
import Logging

/// Who may call a route: the table puts each route behind its audience's check.
enum Audience: Sendable {
    /// No credential (public reads, health; the webhooks carry their secret in the path, the preview its cookie).
    case anyone
    /// `Authorization: Bearer $GATEWAY_TOKEN`.
    case gateway
    /// `Authorization: Bearer $ADMIN_TOKEN`.
    case admin
}
