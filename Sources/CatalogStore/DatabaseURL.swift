import Foundation
import PostgresNIO

/// A parsed `DATABASE_URL`: `postgres://user:pass@host:port/db`, or `?host=/socket/dir` for a unix socket.
public struct DatabaseURL: Sendable, Equatable {
    public enum Endpoint: Sendable, Equatable {
        case tcp(host: String, port: Int)
        case unixSocket(path: String)
    }

    /// TLS use, from `sslmode` (default: `disable` on loopback and sockets, `prefer` elsewhere).
    public enum TLSMode: String, Sendable, Equatable {
        case disable, prefer, require
    }

    public var endpoint: Endpoint
    public var username: String
    public var password: String?
    public var database: String
    public var tls: TLSMode

    /// Why a URL was refused; the text never contains the password.
    public struct ParseError: Error, Equatable, CustomStringConvertible {
        public let description: String
    }

    /// Parses `text`.
    public init(_ text: String) throws(ParseError) {
        guard let components = URLComponents(string: text), let scheme = components.scheme else {
            throw ParseError(description: "must look like postgres://user:password@host:5432/database")
        }
        guard scheme == "postgres" || scheme == "postgresql" else {
            throw ParseError(description: "scheme must be postgres:// or postgresql://, not \(scheme)://")
        }
        let query = components.queryItems ?? []
        let socketDirectory = query.first(where: { $0.name == "host" })?.value
        let host = components.host ?? ""
        let port = components.port ?? 5432
        guard (1...65535).contains(port) else { throw ParseError(description: "port must be between 1 and 65535") }
        if let socketDirectory, socketDirectory.hasPrefix("/") {
            endpoint = .unixSocket(path: socketDirectory + "/.s.PGSQL.\(port)")
        } else if let socketDirectory, !socketDirectory.isEmpty {
            endpoint = .tcp(host: socketDirectory, port: port)
        } else {
            guard !host.isEmpty else { throw ParseError(description: "must name a host (or ?host=/socket/directory)") }
            endpoint = .tcp(host: host, port: port)
        }
        username = components.user?.removingPercentEncoding ?? "postgres"
        if username.isEmpty { username = "postgres" }
        password = components.password?.removingPercentEncoding
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        database = path.removingPercentEncoding ?? path
        guard !database.isEmpty, !database.contains("/") else {
            throw ParseError(description: "must name a database, as in postgres://host:5432/catalog")
        }
        if let mode = query.first(where: { $0.name == "sslmode" })?.value {
            guard let parsed = TLSMode(rawValue: mode) else {
                throw ParseError(description: "sslmode must be disable, prefer or require, not \(mode)")
            }
            tls = parsed
        } else {
            switch endpoint {
            case .unixSocket: tls = .disable
            case .tcp(let host, _): tls = ["127.0.0.1", "localhost", "::1"].contains(host) ? .disable : .prefer
            }
        }
    }

    /// The same URL with another database name (tests create one database each).
    public func with(database: String) -> DatabaseURL {
        var copy = self
        copy.database = database
        return copy
    }

    /// A PostgresClient configuration for this URL.
    public func clientConfiguration(maximumConnections: Int = 20) -> PostgresClient.Configuration {
        var configuration: PostgresClient.Configuration
        switch endpoint {
        case .unixSocket(let path):
            configuration = .init(unixSocketPath: path, username: username, password: password, database: database)
        case .tcp(let host, let port):
            let tlsSetting: PostgresClient.Configuration.TLS
            switch tls {
            case .disable: tlsSetting = .disable
            case .prefer: tlsSetting = .prefer(.makeClientConfiguration())
            case .require: tlsSetting = .require(.makeClientConfiguration())
            }
            configuration = .init(host: host, port: port, username: username, password: password, database: database, tls: tlsSetting)
        }
        configuration.options.maximumConnections = maximumConnections
        configuration.options.connectTimeout = .seconds(5)
        return configuration
    }

    /// A single-connection configuration for LISTEN and migrations.
    public func connectionConfiguration() -> PostgresConnection.Configuration {
        switch endpoint {
        case .unixSocket(let path):
            return .init(unixSocketPath: path, username: username, password: password, database: database)
        case .tcp(let host, let port):
            let tlsSetting: PostgresConnection.Configuration.TLS
            switch tls {
            case .disable: tlsSetting = .disable
            case .prefer: tlsSetting = .prefer(try! .init(configuration: .makeClientConfiguration()))
            case .require: tlsSetting = .require(try! .init(configuration: .makeClientConfiguration()))
            }
            return .init(host: host, port: port, username: username, password: password, database: database, tls: tlsSetting)
        }
    }
}
