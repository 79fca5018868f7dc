import OpenIMContent
import Testing

@Suite("send_msg bodies follow OpenIM's validation rules")
struct SendMsgValidationTests {
    func body(_ content: MessageContent, session: SessionType = .single, conversation: String = "user_002") throws -> SendMsgRequest {
        try SendMsgRequest(sendID: "user_001", conversationID: conversation, sessionType: session, senderPlatformID: 5, content: content)
    }

    @Test func recvIDOrGroupIDBySessionType() throws {
        let content = try MessageEncoder.content(.sticker(catWave), format: .custom, catalogVersion: 1)
        let single = try body(content)
        #expect(single.recvID == "user_002" && single.groupID == nil)
        let group = try body(content, session: .group, conversation: "g1")
        #expect(group.groupID == "g1" && group.recvID == nil)
        #expect(throws: OpenIMContentError.missingField("groupID")) { try body(content, session: .group, conversation: "") }
        #expect(throws: OpenIMContentError.missingField("recvID")) { try body(content, conversation: "") }
        #expect(throws: OpenIMContentError.self) { try body(content, session: .writeGroup, conversation: "g1") }
    }

    @Test func faceIsRefusedForREST() throws {
        let face = try MessageEncoder.content(.sticker(catWave), format: .face, catalogVersion: nil)
        #expect(throws: OpenIMContentError.notSendableViaREST(contentType: 115)) { try body(face) }
    }

    @Test func pushTextIsNeverTheNewMsgPlaceholder() throws {
        let content = try MessageEncoder.content(.sticker(catWave), format: .custom, catalogVersion: 1)
        let request = try body(content)
        #expect(request.offlinePushInfo?.title == "New message")
        #expect(request.offlinePushInfo?.desc == "[Sticker] 👋")
    }

    @Test(arguments: [
        ("width", "content.sourcePicture.width"), ("type", "content.sourcePicture.type"),
        ("url", "content.sourcePicture.url"), ("height", "content.sourcePicture.height"),
    ])
    func everyPictureRenditionNeedsTypeSizeAndURL(field: String, path: String) throws {
        var picture = try MessageEncoder.picture(.sticker(catWave))
        switch field {
        case "width": picture.sourcePicture.width = 0
        case "height": picture.sourcePicture.height = 0
        case "type": picture.sourcePicture.type = ""
        default: picture.sourcePicture.url = ""
        }
        #expect {
            try body(.picture(picture))
        } throws: { error in
            guard let error = error as? OpenIMContentError else { return false }
            switch error {
            case .missingField(let name): return name == path
            case .invalidValue(let name, _): return name == path
            default: return false
            }
        }
    }

    @Test func requiredFieldsPerContentType() throws {
        #expect(throws: OpenIMContentError.missingField("content.data")) { try body(.custom(CustomElem(data: "", description: "", extension: ""))) }
        #expect(throws: OpenIMContentError.missingField("content.content")) { try body(.text(TextElem(content: ""))) }
        #expect(throws: OpenIMContentError.self) { try body(.sound(SoundElem(uuid: "u", sourceUrl: "https://a/b", dataSize: 1, duration: 0))) }
        #expect(throws: OpenIMContentError.missingField("content.fileName")) {
            try body(.file(FileElem(uuid: "u", sourceUrl: "https://a/b", fileName: "", fileSize: 1, fileType: "")))
        }
    }

    @Test func validatesBodiesGivenAsJSON() throws {
        let good = try JSONParser.parse(#"{"sendID":"a","recvID":"b","sessionType":1,"contentType":110,"content":{"data":"x"}}"#)
        try SendMsgRequest.validate(json: good)
        let stringContent = try JSONParser.parse(#"{"sendID":"a","recvID":"b","sessionType":1,"contentType":110,"content":"{\"data\":\"x\"}"}"#)
        #expect(throws: OpenIMContentError.wrongType(field: "content", expected: "an object")) { try SendMsgRequest.validate(json: stringContent) }
        let face = try JSONParser.parse(#"{"sendID":"a","recvID":"b","sessionType":1,"contentType":115,"content":{"index":-1,"data":"{}"}}"#)
        #expect(throws: OpenIMContentError.notSendableViaREST(contentType: 115)) { try SendMsgRequest.validate(json: face) }
        let noGroup = try JSONParser.parse(#"{"sendID":"a","recvID":"b","sessionType":3,"contentType":110,"content":{"data":"x"}}"#)
        #expect(throws: OpenIMContentError.missingField("groupID")) { try SendMsgRequest.validate(json: noGroup) }
    }
}
