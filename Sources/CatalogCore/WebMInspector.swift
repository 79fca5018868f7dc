/// Telegram's video stickers: WebM read from its EBML structure and checked by Telegram's rules — VP9 video, no
/// audio track, one side 512 px and the other at most 512, at most 3 seconds and 30 frames a second, at most 256 KiB.
///
/// Every element's size is checked against its parent's before anything is read, the walk descends only into the
/// few masters it needs (so nesting is bounded by this code, not by the file), and bytes after the Segment are
/// refused. Frames are counted from the video track's blocks; nothing is decoded.
enum WebMInspector {
    enum ID {
        static let ebml: UInt32 = 0x1A45_DFA3, docType: UInt32 = 0x4282
        static let segment: UInt32 = 0x1853_8067, info: UInt32 = 0x1549_A966, tracks: UInt32 = 0x1654_AE6B, cluster: UInt32 = 0x1F43_B675
        static let timecodeScale: UInt32 = 0x2A_D7B1, duration: UInt32 = 0x4489
        static let trackEntry: UInt32 = 0xAE, trackNumber: UInt32 = 0xD7, trackType: UInt32 = 0x83, codecID: UInt32 = 0x86
        static let defaultDuration: UInt32 = 0x23_E383, video: UInt32 = 0xE0, pixelWidth: UInt32 = 0xB0, pixelHeight: UInt32 = 0xBA
        static let simpleBlock: UInt32 = 0xA3, blockGroup: UInt32 = 0xA0, block: UInt32 = 0xA1
    }

    struct Track {
        var number: UInt64 = 0
        var type: UInt64 = 0
        var codec = ""
        var width: UInt64 = 0
        var height: UInt64 = 0
        var frameNanoseconds: UInt64?
    }

    /// One element: its id and where its content lies.
    struct Element {
        var id: UInt32
        var content: Range<Int>
    }

    /// Reads EBML elements from `bytes` within a range, never past it.
    struct Reader {
        let bytes: [UInt8]

        /// The element starting at `offset`, whose content must end by `end`. `unknownSizeAllowed`: an unknown size
        /// (all ones) reads as "to `end`".
        func element(at offset: Int, end: Int, unknownSizeAllowed: Bool = false) throws(ImageError) -> Element {
            var position = offset
            let id = try variableInteger(at: &position, end: end, keepMarker: true)
            guard id.value <= UInt64(UInt32.max) else { throw .corrupt("an EBML element id longer than 4 bytes at byte \(offset)") }
            let size = try variableInteger(at: &position, end: end, keepMarker: false)
            let contentEnd: Int
            if size.allOnes {
                guard unknownSizeAllowed else { throw .corrupt("an element of unknown size at byte \(offset) (write the WebM to a seekable file)") }
                contentEnd = end
            } else {
                guard size.value <= UInt64(end - position) else { throw .corrupt("an element at byte \(offset) running past its parent") }
                contentEnd = position + Int(size.value)
            }
            return Element(id: UInt32(id.value), content: position..<contentEnd)
        }

        /// An EBML variable-length integer: its length is the count of leading zero bits of the first byte plus one.
        func variableInteger(at position: inout Int, end: Int, keepMarker: Bool) throws(ImageError) -> (value: UInt64, allOnes: Bool) {
            guard position < end else { throw .corrupt("the WebM ends inside an element header") }
            let first = bytes[position]
            guard first != 0 else { throw .corrupt("an EBML number longer than 8 bytes at byte \(position)") }
            let length = first.leadingZeroBitCount + 1
            guard length <= end - position else { throw .corrupt("the WebM ends inside an element header") }
            let marker = UInt8(0x80) >> (length - 1)
            var value = UInt64(keepMarker ? first : first & (marker &- 1))
            var allOnes = (first & (marker &- 1)) == marker &- 1
            for index in 1..<length {
                let byte = bytes[position + index]
                value = value << 8 | UInt64(byte)
                allOnes = allOnes && byte == 0xFF
            }
            position += length
            return (value, allOnes)
        }

        func unsigned(_ content: Range<Int>) throws(ImageError) -> UInt64 {
            guard content.count <= 8 else { throw .corrupt("an unsigned integer of \(content.count) bytes") }
            return content.reduce(0) { $0 << 8 | UInt64(bytes[$1]) }
        }

        func float(_ content: Range<Int>) throws(ImageError) -> Double {
            switch content.count {
            case 0: return 0
            case 4: return Double(Float(bitPattern: UInt32(truncatingIfNeeded: try unsigned(content))))
            case 8: return Double(bitPattern: try unsigned(content))
            default: throw .corrupt("a float of \(content.count) bytes")
            }
        }

        func text(_ content: Range<Int>) -> String {
            String(decoding: bytes[content].prefix { $0 != 0 }, as: UTF8.self)
        }

        /// Calls `visit` for each child of `content`, in order.
        func children(of content: Range<Int>, unknownSizeAllowed: Bool = false, _ visit: (Element) throws(ImageError) -> Void) throws(ImageError) {
            var offset = content.lowerBound
            while offset < content.upperBound {
                let child = try element(at: offset, end: content.upperBound, unknownSizeAllowed: unknownSizeAllowed)
                try visit(child)
                offset = child.content.upperBound
            }
        }
    }

    static func inspect(_ bytes: [UInt8]) throws(ImageError) -> InspectedImage {
        guard bytes.count <= CatalogLimits.maximumWebMBytes else {
            throw .breaksRule("is a WebM video of \(bytes.count) bytes; Telegram's limit for video stickers is \(CatalogLimits.maximumWebMBytes)")
        }
        let reader = Reader(bytes: bytes)
        let header = try reader.element(at: 0, end: bytes.count)
        var docType = ""
        try reader.children(of: header.content) { (child: Element) throws(ImageError) in
            if child.id == ID.docType { docType = reader.text(child.content) }
        }
        guard docType == "webm" else { throw .breaksRule("is a Matroska file of type \"\(docType)\", not WebM") }
        let segment = try reader.element(at: header.content.upperBound, end: bytes.count, unknownSizeAllowed: true)
        guard segment.id == ID.segment else { throw .corrupt("the WebM's header is not followed by a Segment") }
        guard segment.content.upperBound == bytes.count else { throw .corrupt("bytes after the WebM's Segment") }

        var scale: UInt64 = 1_000_000
        var duration: Double?
        var tracks: [Track] = []
        var blocks: [UInt64] = []  // the track number of each block
        try reader.children(of: segment.content) { (element: Element) throws(ImageError) in
            switch element.id {
            case ID.info:
                try reader.children(of: element.content) { (field: Element) throws(ImageError) in
                    if field.id == ID.timecodeScale { scale = try reader.unsigned(field.content) }
                    if field.id == ID.duration { duration = try reader.float(field.content) }
                }
            case ID.tracks:
                try reader.children(of: element.content) { (entry: Element) throws(ImageError) in
                    guard entry.id == ID.trackEntry else { return }
                    tracks.append(try track(entry, reader))
                }
            case ID.cluster:
                try reader.children(of: element.content) { (child: Element) throws(ImageError) in
                    switch child.id {
                    case ID.simpleBlock: blocks.append(try blockTrack(child.content, reader))
                    case ID.blockGroup:
                        try reader.children(of: child.content) { (part: Element) throws(ImageError) in
                            if part.id == ID.block { blocks.append(try blockTrack(part.content, reader)) }
                        }
                    default: break
                    }
                    guard blocks.count <= CatalogLimits.maximumFrames * 4 else { throw .tooManyFrames(blocks.count) }
                }
            default: break
            }
        }
        if tracks.contains(where: { $0.type == 2 }) { throw .breaksRule("is a WebM video with an audio track; video stickers have none") }
        let videos = tracks.filter { $0.type == 1 }
        guard videos.count == 1, let video = videos.first else { throw .breaksRule("is a WebM file with \(videos.count) video tracks; a video sticker has one") }
        guard video.codec == "V_VP9" else { throw .breaksRule("is WebM video coded as \(video.codec.isEmpty ? "nothing named" : video.codec); video stickers are VP9 (V_VP9)") }
        let side = UInt64(CatalogLimits.maximumStickerSide)
        guard video.width > 0, video.height > 0, video.width <= side, video.height <= side, video.width == side || video.height == side else {
            throw .breaksRule("is a \(video.width)×\(video.height) video; one side of a video sticker is \(side) px and the other at most \(side)")
        }
        if let nanoseconds = video.frameNanoseconds, nanoseconds > 0, 1e9 / Double(nanoseconds) > Double(CatalogLimits.maximumVideoFrameRate) + 0.5 {
            throw .breaksRule("is a video at \(Int((1e9 / Double(nanoseconds)).rounded())) frames a second; video stickers run at most \(CatalogLimits.maximumVideoFrameRate)")
        }
        guard let duration, duration.isFinite, duration > 0 else { throw .corrupt("a WebM without a duration") }
        let milliseconds = duration * Double(scale) / 1_000_000
        guard milliseconds <= Double(CatalogLimits.maximumTGSAndWebMMilliseconds) + 0.5 else {
            // Formatted without Int(): a duration of 1e308 at a large scale is infinite, and Int(.infinity) traps.
            throw .breaksRule("is a video of \(TGSInspector.text(milliseconds.rounded())) ms; video stickers last at most \(CatalogLimits.maximumTGSAndWebMMilliseconds) ms")
        }
        let frames = blocks.filter { $0 == video.number }.count
        guard frames > 0 else { throw .corrupt("a WebM without a frame of its video track") }
        guard frames <= CatalogLimits.maximumFrames else { throw .tooManyFrames(frames) }
        return InspectedImage(format: .webm, width: Int(video.width), height: Int(video.height), frameCount: frames, durationMilliseconds: Int(milliseconds.rounded()))
    }

    static func track(_ entry: Element, _ reader: Reader) throws(ImageError) -> Track {
        var track = Track()
        try reader.children(of: entry.content) { (field: Element) throws(ImageError) in
            switch field.id {
            case ID.trackNumber: track.number = try reader.unsigned(field.content)
            case ID.trackType: track.type = try reader.unsigned(field.content)
            case ID.codecID: track.codec = reader.text(field.content)
            case ID.defaultDuration: track.frameNanoseconds = try reader.unsigned(field.content)
            case ID.video:
                try reader.children(of: field.content) { (dimension: Element) throws(ImageError) in
                    if dimension.id == ID.pixelWidth { track.width = try reader.unsigned(dimension.content) }
                    if dimension.id == ID.pixelHeight { track.height = try reader.unsigned(dimension.content) }
                }
            default: break
            }
        }
        return track
    }

    /// The track number a (Simple)Block belongs to: the variable-length integer its content starts with.
    static func blockTrack(_ content: Range<Int>, _ reader: Reader) throws(ImageError) -> UInt64 {
        var position = content.lowerBound
        return try reader.variableInteger(at: &position, end: content.upperBound, keepMarker: false).value
    }
}
