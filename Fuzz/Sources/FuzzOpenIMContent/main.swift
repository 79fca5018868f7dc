import FuzzSupport
import OpenIMContent

/// Webhook bodies, webhook content of every type we decode, and payloads: any bytes must decode or throw, never crash.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: start, count: count)
    _ = try? CallbackRequest(bytes: bytes)
    let text = String(decoding: bytes, as: UTF8.self)
    for contentType: Int32 in [101, 102, 110, 115] {
        _ = try? MessageDecoder.webhookContent(contentType: contentType, content: text)
    }
    if let payload = try? CatalogPayload.decode(data: text) {
        // What decodes must encode again and decode to the same payload.
        if let encoded = try? payload.encodedString() {
            precondition((try? CatalogPayload.decode(data: encoded)) == payload, "payload round trip changed the value")
        }
    }
    if let json = try? JSONParser.parse(bytes) {
        var writer = JSONWriter()
        writer.value(json)
        precondition((try? JSONParser.parse(writer.bytes)) == json, "JSON round trip changed the value")
        _ = try? SendMsgRequest.validate(json: json)
    }
    return 0
}

runFuzzer { start, count in fuzz(start, count) }
