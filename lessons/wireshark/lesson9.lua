-- lesson9.lua: a Wireshark dissector for the lesson 9 encrypted echo, and
-- for lesson 10 (the same records, plus the server's signature).
--
-- Load it for one run:
--   tshark -X lua_script:lessons/wireshark/lesson9.lua -r capture.pcap -V
--   wireshark -X lua_script:lessons/wireshark/lesson9.lua capture.pcap
-- or copy it into Wireshark's personal Lua plugins folder (Help > About >
-- Folders). See lessons/wireshark.md.
--
-- What it names, per TCP direction (the side sending to the server port is
-- the client):
--
--   first 32 bytes     the sender's X25519 public key, in the clear
--   lesson 10 only,    the server's Ed25519 signature over
--   server side: 64    client_pub || server_pub (preference "signed")
--   then, repeated     len (u16 big-endian) = 12 + N + 16
--                      nonce (12 bytes)
--                      ChaCha20 ciphertext (N bytes)
--                      Poly1305 tag (16 bytes)
--
-- TCP may cut a record across segments or glue several into one; the
-- dissector asks TCP to reassemble (pinfo.desegment_len) until a whole
-- record is there, and loops over every record a segment holds.
--
-- It cannot decrypt: that takes the keys, which only the two ends have
-- (or a --keylog file; `eve --keylog` prints the plaintext).
--
-- Lesson 10 runs on the same port, so the dissector cannot tell the two
-- apart by looking: switch the "signed" preference on for a lesson 10
-- capture (tshark: -o lesson9.signed:TRUE; Wireshark: Edit > Preferences >
-- Protocols > LESSON9).

local PUBLIC_KEY_LEN = 32
local SIGNATURE_LEN = 64
local LEN_PREFIX = 2
local NONCE_LEN = 12
local TAG_LEN = 16
local MIN_RECORD_LEN = NONCE_LEN + TAG_LEN

local lesson9 = Proto("lesson9", "Lesson 9 encrypted echo (X25519 + ChaCha20-Poly1305)")

local f_direction  = ProtoField.string("lesson9.direction", "Direction")
local f_client_key = ProtoField.bytes("lesson9.client_public", "Client X25519 public key")
local f_server_key = ProtoField.bytes("lesson9.server_public", "Server X25519 public key")
local f_signature  = ProtoField.bytes("lesson9.signature",
                                      "Server Ed25519 signature over client_pub || server_pub")
local f_record     = ProtoField.bytes("lesson9.record", "Record")
local f_length     = ProtoField.uint16("lesson9.length", "Length", base.DEC)
local f_nonce      = ProtoField.bytes("lesson9.nonce", "Nonce")
local f_ciphertext = ProtoField.bytes("lesson9.ciphertext", "Ciphertext")
local f_ct_len     = ProtoField.uint16("lesson9.ciphertext_len", "Ciphertext length", base.DEC)
local f_tag        = ProtoField.bytes("lesson9.tag", "Poly1305 tag")

lesson9.fields = {
    f_direction, f_client_key, f_server_key, f_signature, f_record,
    f_length, f_nonce, f_ciphertext, f_ct_len, f_tag,
}

local e_short = ProtoExpert.new("lesson9.short", "Record length below nonce + tag (28): not lesson 9",
                                expert.group.MALFORMED, expert.severity.ERROR)
lesson9.experts = { e_short }

lesson9.prefs.port = Pref.uint("Server TCP port", 7878, "The port the lesson 9 server listens on")
lesson9.prefs.signed = Pref.bool("Lesson 10: the server signs its handshake", false,
    "Lesson 10: the server's public key is followed by a 64-byte Ed25519 signature")

local f_tcp_stream = Field.new("tcp.stream")

-- What comes next in each direction of each TCP stream: the public key,
-- the signature (lesson 10, server side), or records.
local KEY, SIGNATURE, RECORDS = 0, 1, 2
local next_part = {}
-- For each dissector call (stream, direction, frame, where the bytes sit),
-- what it started with. Wireshark dissects a frame again whenever it is
-- clicked; this makes the second look agree with the first.
local call_starts = {}
-- The last frame whose Info column we wrote, to append instead of replace.
local info_frame = -1

local function set_info(pinfo, text)
    if info_frame == pinfo.number then
        pinfo.cols.info:append(", " .. text)
    else
        pinfo.cols.info:set(text)
        info_frame = pinfo.number
    end
end

-- Dissects one record at `offset` (whole record known to be there).
local function dissect_record(tvb, offset, tree, pinfo, direction)
    local len = tvb(offset, LEN_PREFIX):uint()
    local item = tree:add(f_record, tvb(offset, LEN_PREFIX + len))
    item:set_text(string.format("Record, %s: length %d", direction, len))
    item:add(f_length, tvb(offset, LEN_PREFIX))
    if len < MIN_RECORD_LEN then
        item:add_proto_expert_info(e_short)
        set_info(pinfo, "Malformed record")
        return
    end
    local body = offset + LEN_PREFIX
    local ct_len = len - MIN_RECORD_LEN
    item:add(f_nonce, tvb(body, NONCE_LEN))
    if ct_len > 0 then
        item:add(f_ciphertext, tvb(body + NONCE_LEN, ct_len))
    end
    item:add(f_ct_len, ct_len):set_generated()
    item:add(f_tag, tvb(body + NONCE_LEN + ct_len, TAG_LEN))
    set_info(pinfo, string.format("Record len=%d (%d bytes of ciphertext)", len, ct_len))
end

function lesson9.dissector(tvb, pinfo, tree)
    local total = tvb:len()
    if total == 0 then
        return 0
    end
    pinfo.cols.protocol = "LESSON9"

    -- Sent to the server's port: from the client.
    local from_client = pinfo.dst_port == pinfo.match_uint
    local direction = from_client and "client -> server" or "server -> client"
    local stream = f_tcp_stream()
    local side = tostring(stream and stream.value or "?") .. "/" .. direction
    local call = side .. "@" .. pinfo.number .. "+" .. tvb:offset() .. "/" .. total

    local subtree = tree:add(lesson9, tvb())
    subtree:add(f_direction, direction):set_generated()
    local offset = 0

    local part = call_starts[call]
    if part == nil then
        part = next_part[side] or KEY
        call_starts[call] = part
    end

    -- The first 32 bytes of each direction are the sender's public key.
    if part == KEY then
        if total < PUBLIC_KEY_LEN then
            -- Not all of it yet: ask TCP for the rest, then come back.
            pinfo.desegment_offset = 0
            pinfo.desegment_len = PUBLIC_KEY_LEN - total
            return total
        end
        if from_client then
            subtree:add(f_client_key, tvb(0, PUBLIC_KEY_LEN))
            set_info(pinfo, "Client public key")
        else
            subtree:add(f_server_key, tvb(0, PUBLIC_KEY_LEN))
            set_info(pinfo, "Server public key")
        end
        offset = PUBLIC_KEY_LEN
        -- Lesson 10: the server's key is followed by its signature.
        if lesson9.prefs.signed and not from_client then
            part = SIGNATURE
        else
            part = RECORDS
        end
        next_part[side] = part
    end

    -- Lesson 10: 64 bytes of Ed25519 signature, in the clear.
    if part == SIGNATURE and offset < total then
        local remaining = total - offset
        if remaining < SIGNATURE_LEN then
            pinfo.desegment_offset = offset
            pinfo.desegment_len = SIGNATURE_LEN - remaining
            return total
        end
        subtree:add(f_signature, tvb(offset, SIGNATURE_LEN))
        set_info(pinfo, "Server signature")
        offset = offset + SIGNATURE_LEN
        part = RECORDS
        next_part[side] = part
    end

    -- Then records, as many as this data holds.
    while offset < total do
        local remaining = total - offset
        if remaining < LEN_PREFIX then
            pinfo.desegment_offset = offset
            pinfo.desegment_len = DESEGMENT_ONE_MORE_SEGMENT
            return total
        end
        local len = tvb(offset, LEN_PREFIX):uint()
        if len < MIN_RECORD_LEN then
            -- Not a lesson 9 record; show it and stop parsing this data.
            dissect_record(tvb, offset, subtree, pinfo, direction)
            return total
        end
        if remaining < LEN_PREFIX + len then
            -- The record goes on in a later segment: reassemble first.
            pinfo.desegment_offset = offset
            pinfo.desegment_len = LEN_PREFIX + len - remaining
            return total
        end
        dissect_record(tvb, offset, subtree, pinfo, direction)
        offset = offset + LEN_PREFIX + len
    end
    return total
end

function lesson9.init()
    next_part = {}
    call_starts = {}
    info_frame = -1
end

local registered_port = lesson9.prefs.port
DissectorTable.get("tcp.port"):add(registered_port, lesson9)

function lesson9.prefs_changed()
    if registered_port ~= lesson9.prefs.port then
        DissectorTable.get("tcp.port"):remove(registered_port, lesson9)
        registered_port = lesson9.prefs.port
        DissectorTable.get("tcp.port"):add(registered_port, lesson9)
    end
end
