import FuzzRequests
import FuzzSupport

/// The whole-service target's own mutator on any bytes: it runs inside the fuzzer between inputs, so a trap in it
/// ends a FuzzService run with an empty input and no request to blame (session 13: a zip mutation built a range
/// whose end preceded its start). Each input is mutated with a few seeds and at a few size limits; the result must
/// respect the limit.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: start, count: count))
    for seed in UInt64(0)..<4 {
        var random = SplitMix(state: seed &* 0x9E37_79B9 &+ UInt64(count))
        for maxSize in [max(1, count), count + 4_096] {
            let output = RequestMutator.mutate(input, maxSize: maxSize, random: &random)
            if output.count > maxSize { fatalError("mutant of \(output.count) bytes over the limit of \(maxSize)") }
        }
    }
    return 0
}

runFuzzer { start, count in fuzz(start, count) }
