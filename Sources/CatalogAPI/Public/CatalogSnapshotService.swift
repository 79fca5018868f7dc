import CatalogCore
import CatalogStore
import Logging
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// Keeps this replica's snapshot at the database's catalog version.
///
/// It LISTENs on `catalog_changed` over a dedicated connection, re-checks the version on a timer and after every
/// reconnect (so a missed notification heals itself), and rebuilds whenever the version moved. Triggers go through
/// a one-slot buffer, so a burst of notifications during a rebuild leads to one more rebuild, not one per write.
/// When PostgreSQL is away the last snapshot keeps being served and the service retries with backoff.
///
/// With a standby (`DATABASE_READ_URL`) the snapshot is read there. The LISTEN stays on the primary (a standby's
/// sessions receive no notifications): a notification first notes the primary's WAL position, so the load waits
/// until the standby has replayed the change (or reads the primary after `CatalogDatabase.replayWait`) — never an
/// older snapshot than the primary acknowledged. The timer polls the standby's version, once a second.
final class CatalogSnapshotService: Service {
    let database: CatalogDatabase
    let repository: any PackRepository
    let store: CatalogSnapshotStore
    let databaseURL: DatabaseURL
    let publicBaseURL: String
    let pollInterval: Duration
    let logger: Logger
    /// The primary announced a change (or the listener reconnected) since the last refresh.
    private let primaryMoved = Mutex(false)

    init(database: CatalogDatabase, repository: any PackRepository, store: CatalogSnapshotStore, databaseURL: DatabaseURL, publicBaseURL: String, pollInterval: Duration, logger: Logger) {
        self.database = database
        self.repository = repository
        self.store = store
        self.databaseURL = databaseURL
        self.publicBaseURL = publicBaseURL
        self.pollInterval = pollInterval
        self.logger = logger
    }

    /// Loads the catalog and swaps the snapshot in when its version is newer than the one served.
    func refresh() async throws {
        if primaryMoved.withLock({ moved in defer { moved = false }; return moved }) {
            // Reads must not be older than the change announced. The primary down: the standby is all there is.
            try? await database.catchUpWithPrimary()
        }
        let version = try await repository.catalogVersion()
        store.isDatabaseReachable = true
        if let current = store.current, current.version >= version { return }
        let loadStart = ContinuousClock.now
        let content = try await repository.catalogContent()
        let buildStart = ContinuousClock.now
        // On a thread of its own, not the cooperative pool: seconds of CPU at large catalogs must not hold one of the
        // (two, here) threads every request handler runs on. Its search index is built on another thread of its own, so
        // the build never waits for a thread (on Dispatch's capped global queues it did: session 11 and 12).
        let baseURL = publicBaseURL
        let snapshot = await OffThePool.run { CatalogSnapshot(content: content, publicBaseURL: baseURL) }
        let built = ContinuousClock.now
        store.replace(with: snapshot)
        logger.info("catalog snapshot built", metadata: [
            "catalog.version": .stringConvertible(snapshot.version), "packs": .stringConvertible(snapshot.packs.count),
            "stickers": .stringConvertible(snapshot.stickers.count), "bytes": .stringConvertible(snapshot.catalog.identity.readableBytes),
            "load.ms": .stringConvertible(Int((buildStart - loadStart).milliseconds)),
            "build.ms": .stringConvertible(Int((built - buildStart).milliseconds)),
            "search.ms": .stringConvertible(Int(snapshot.searchBuildTime.build.milliseconds)),
            "search.added.ms": .stringConvertible(Int(snapshot.searchBuildTime.added.milliseconds)),
        ])
    }

    func run() async throws {
        let (triggers, trigger) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        // Three loops as tasks of their own, not a task group: a group waits for every child, and a PostgreSQL
        // connection caught mid-restart has held a child past cancellation, and with it the whole shutdown.
        let loops = [
            Task { await self.listen(trigger: trigger) },
            Task {
                while !Task.isCancelled {
                    trigger.yield()
                    try? await Task.sleep(for: self.pollInterval)
                }
            },
            Task {
                for await _ in triggers {
                    do {
                        try await self.refresh()
                    } catch {
                        if Task.isCancelled { break }
                        self.store.isDatabaseReachable = false
                        self.logger.warning("catalog refresh failed; serving the last snapshot", metadata: ["error.type": .string(String(describing: type(of: error)))])
                        try? await Task.sleep(for: .milliseconds(250))
                        trigger.yield()
                    }
                    if Task.isCancelled { break }
                }
            },
        ]
        // Park until graceful shutdown (or cancellation), then stop the loops, waiting a few seconds at most.
        try? await gracefulShutdown()
        for loop in loops { loop.cancel() }
        trigger.finish()
        if await !FirstAnswer.awaitAll(loops, atMost: .seconds(3)) {
            logger.warning("catalog snapshot loops did not stop within 3 s; leaving them")
        }
    }

    /// Holds a LISTEN connection, reconnecting with backoff; every (re)connect and notification triggers a check.
    func listen(trigger: AsyncStream<Void>.Continuation) async {
        var backoff: Duration = .milliseconds(100)
        var connectionID = 1
        while !Task.isCancelled {
            do {
                let connection = try await PostgresConnection.connect(
                    configuration: databaseURL.connectionConfiguration(), id: connectionID, logger: logger
                )
                connectionID += 1
                // Ends when the notifications end or the task is cancelled, whichever is first. A LISTEN issued
                // while the connection was closing (cancelled during the connect) gave a sequence that never ended,
                // which held the service's shutdown forever, so the sequence is read by a task of its own.
                let ended = FirstAnswer()
                do {
                    try await withTaskCancellationHandler {
                        guard !Task.isCancelled else { return }
                        let notifications = try await connection.listen("catalog_changed")
                        backoff = .milliseconds(100)
                        // PostgreSQL answers: if the pool failed meanwhile, it is replaced now rather than after its backoff.
                        self.database.noteReachable()
                        self.primaryMoved.withLock { $0 = true }
                        trigger.yield()
                        _ = await withCheckedContinuation { continuation in
                            ended.set(continuation)
                            Task {
                                do {
                                    for try await _ in notifications {
                                        self.primaryMoved.withLock { $0 = true }
                                        trigger.yield()
                                    }
                                } catch {}
                                ended.resume(true)
                            }
                        }
                    } onCancel: {
                        ended.resume(false)
                        let closing: EventLoopFuture<Void> = connection.close()
                        _ = closing
                    }
                } catch {
                    try? await connection.close()
                    throw error
                }
                try? await connection.close()
            } catch {
                if Task.isCancelled { return }
                store.isDatabaseReachable = false
                // Writes waiting for a pooled connection should give up quickly now, not wait out contention.
                database.noteUnavailable()
                logger.debug("catalog listener reconnecting", metadata: ["error.type": .string(String(describing: type(of: error)))])
            }
            try? await Task.sleep(for: backoff)
            backoff = min(backoff * 2, .seconds(2))
        }
    }
}
