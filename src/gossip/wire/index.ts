// memberlist 0.2.2 wire format: messages, packets (compound, CRC, LZW, AES-GCM) and streams,
// plus newer memberlist's optional cluster labels.
export { GossipWireError, type GossipWireErrorCode } from './errors.ts';
export { decodeMessage, encodeMessage, META_MAX_SIZE } from './codec.ts';
export { crc32 } from './crc32.ts';
export {
  HAS_LABEL_MSG,
  LABEL_MAX_SIZE,
  addLabelHeader,
  labelOverhead,
  readLabelHeader,
  validateLabel,
  type LabelHeader,
} from './label.ts';
export { lzwCompress, lzwDecompress } from './lzw.ts';
export {
  Keyring,
  decryptPayload,
  encryptOverhead,
  encryptPayload,
  encryptedLength,
  encryptionVersionFor,
  validateKey,
  type EncryptionVersion,
} from './security.ts';
export {
  MAX_COMPOUND_PARTS,
  MAX_SENT_COMPOUND_PARTS,
  MAX_PACKET_SIZE,
  UDP_BUFFER_SIZE,
  compressPayload,
  decodeCompoundMessage,
  decodePacket,
  encodePackets,
  makeCompoundMessage,
  packMessages,
  packetRoom,
  wrapPacket,
  type PacketDecodeResult,
  type PacketOptions,
  type WireOptions,
} from './packet.ts';
export {
  MAX_STREAM_BYTES,
  StreamDecoder,
  encodeStream,
  encodeStreamBody,
  encodeStreamOpening,
  type StreamDecoderOptions,
  type StreamStatus,
} from './stream.ts';
