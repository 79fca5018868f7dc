import Foundation
import FuzzRequests
import FuzzSupport

/// Whole HTTP requests — request line, header fields, body — sent to the real service running in this process:
/// every route family with the right tokens (from the corpus the test suite writes), mutated by structure
/// (multipart, zip, JSON, headers) and by bytes. A trap anywhere in the service (ours or a library's parser) ends
/// this process and libFuzzer keeps the input; a 5xx, a 4xx that is not problem+json, or a service that stops
/// answering `/healthz` is turned into a crash (`abort`) so it is kept the same way.

nonisolated(unsafe) var port = 0
nonisolated(unsafe) var statistics = FuzzStatistics()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let request = Array(UnsafeBufferPointer(start: start, count: count))
    let answers: [Exchange.Answer], timedOut: Bool
    switch Exchange.run(port: port, request: request) {
    case .success(let exchange): (answers, timedOut) = exchange
    case .failure(let failure): FuzzStatistics.fail("could not connect (errno \(failure.errors))", request)
    }
    let finals = answers.filter { $0.status >= 200 }
    statistics.record(request: request, answer: finals.first, timedOut: timedOut)
    for answer in finals {
        if answer.status >= 500 { FuzzStatistics.fail("answered \(answer.status)", request) }
        if (400..<500).contains(answer.status), !answer.contentType.hasPrefix("application/problem+json") {
            FuzzStatistics.fail("answered \(answer.status) with Content-Type \"\(answer.contentType)\", not problem+json", request)
        }
    }
    // Still serving: every 200 inputs a fresh connection must get its /healthz answered.
    if statistics.requests % 200 == 0 {
        // What went wrong is said precisely: a refused connection, silence, or a connection closed without a 200.
        switch Exchange.run(port: port, request: []) {
        case .failure(let failure):
            FuzzStatistics.fail("/healthz: no connection after this input (errno of each attempt: \(failure.errors))", request)
        case .success(let probe) where probe.answers.first?.status != 200:
            let what = probe.timedOut ? "no answer within 10 s" : "the connection closed with answers \(probe.answers.map(\.status))"
            FuzzStatistics.fail("/healthz unanswered after this input (\(what))", request)
        case .success: break
        }
    }
    return 0
}

@_cdecl("LLVMFuzzerCustomMutator")
public func customMutator(_ data: UnsafeMutablePointer<UInt8>, _ size: Int, _ maxSize: Int, _ seed: UInt32) -> Int {
    var random = SplitMix(state: UInt64(seed))
    let mutated = RequestMutator.mutate(Array(UnsafeBufferPointer(start: data, count: size)), maxSize: maxSize, random: &random)
    let count = min(mutated.count, maxSize)
    mutated.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: count) }
    return count
}

port = ServiceUnderFuzz.start()
atexit { statistics.report() }
runFuzzer { start, count in fuzz(start, count) }
