/// What a received message refers to, as far as the catalog is concerned.
public enum ReceivedContent: Sendable, Equatable {
    /// A 110 custom message carrying our payload.
    case catalog(CatalogPayload)
    /// A 115 face message in the demo clients' `{url,width,height}` form.
    case face(FaceImage)
    /// A 102 picture message (its source rendition).
    case picture(PictureBaseInfo)
    /// A message type or custom payload that is not ours; the catalog has no opinion on it.
    case foreign(contentType: Int32)
}

/// Turns OpenIM message content back into typed catalog references.
public enum MessageDecoder {
    /// Largest `content` string accepted from a webhook: a custom message with a maximal payload escaped twice.
    public static let maximumContentBytes = 32 * 1024

    /// Decodes our payload from a received custom elem.
    public static func payload(from elem: CustomElem) throws(OpenIMContentError) -> CatalogPayload {
        if elem.data.isEmpty { throw .missingField("data") }
        return try CatalogPayload.decode(data: elem.data)
    }

    /// Decodes the `{url,width,height}` image of a face elem; `index` must be -1 (a client-bundled emoji otherwise).
    public static func faceImage(from elem: FaceElem) throws(OpenIMContentError) -> FaceImage {
        guard elem.index == -1 else { throw .notCatalogContent("face index \(elem.index) refers to a client-bundled emoji") }
        if elem.data.isEmpty { throw .missingField("data") }
        guard elem.data.utf8.count <= CatalogPayload.maximumEncodedBytes else {
            throw .tooLarge(field: "data", size: elem.data.utf8.count, limit: CatalogPayload.maximumEncodedBytes)
        }
        let reader = try FieldReader(JSONParser.parse(elem.data), path: "data")
        let image = FaceImage(url: try reader.string("url"), width: try reader.integer("width"), height: try reader.integer("height"))
        try PayloadRules.url(image.url, field: "data.url")
        try PayloadRules.dimension(image.width, field: "data.width")
        try PayloadRules.dimension(image.height, field: "data.height")
        return image
    }

    /// Decodes the `content` string of a webhook (`CommonCallbackReq.content`): the stored content JSON, whose
    /// custom `data` is itself a JSON string — so our payload arrives encoded twice.
    ///
    /// A custom message whose `data` is not JSON or has no `type` member is somebody else's and reads as `.foreign`;
    /// one that claims to be ours (`type` is a string) but breaks the schema throws.
    public static func webhookContent(contentType: Int32, content: String) throws(OpenIMContentError) -> ReceivedContent {
        guard content.utf8.count <= maximumContentBytes else {
            throw .tooLarge(field: "content", size: content.utf8.count, limit: maximumContentBytes)
        }
        switch ContentType(rawValue: contentType) {
        case .custom, .customNotTriggerConversation, .customOnlineOnly:
            let elem = try CustomElem(reader: FieldReader(JSONParser.parse(content), path: "content"))
            return try received(custom: elem, contentType: contentType)
        case .face:
            let elem = try FaceElem(reader: FieldReader(JSONParser.parse(content), path: "content"))
            guard elem.index == -1 else { return .foreign(contentType: contentType) }
            return .face(try faceImage(from: elem))
        case .picture:
            let elem = try PictureElem(reader: FieldReader(JSONParser.parse(content), path: "content"))
            return .picture(elem.sourcePicture)
        default:
            return .foreign(contentType: contentType)
        }
    }

    /// Classifies a received custom elem: ours (`type` member present) or foreign.
    public static func received(custom elem: CustomElem, contentType: Int32 = ContentType.custom.rawValue) throws(OpenIMContentError) -> ReceivedContent {
        guard !elem.data.isEmpty, elem.data.utf8.first == UInt8(ascii: "{") else { return .foreign(contentType: contentType) }
        guard elem.data.utf8.count <= CatalogPayload.maximumEncodedBytes else {
            throw .tooLarge(field: "data", size: elem.data.utf8.count, limit: CatalogPayload.maximumEncodedBytes)
        }
        let json: JSONValue
        do {
            json = try JSONParser.parse(elem.data)
        } catch {
            return .foreign(contentType: contentType)
        }
        guard case .string = json["type"] else { return .foreign(contentType: contentType) }
        return .catalog(try CatalogPayload.decode(json: json))
    }
}
