// One-line descriptions of Raft messages for the event trace.
import type { Message } from '../raft/index.ts';

export function describeMessage(m: Message): string {
  const head = `${m.type} ${m.from}->${m.to} t${m.term}`;
  switch (m.type) {
    case 'app':
      return `${head} prev=${m.prevIndex}@${m.prevTerm} n=${m.entries.length}${
        m.entries.length > 0 ? ` [${m.entries.map((e) => `${e.index}@${e.term}`).join(' ')}]` : ''
      } commit=${m.commit}`;
    case 'appResp':
      return `${head} ${m.success ? 'ok' : 'reject'} index=${m.index} hint=${m.hintIndex}@${m.hintTerm}`;
    case 'vote':
    case 'preVote':
      return `${head} last=${m.lastIndex}@${m.lastTerm}${m.force ? ' force' : ''}`;
    case 'voteResp':
    case 'preVoteResp':
      return `${head} ${m.granted ? 'granted' : 'rejected'}`;
    case 'heartbeat':
      return `${head} commit=${m.commit} seq=${m.readSeq}`;
    case 'heartbeatResp':
      return `${head} seq=${m.readSeq}`;
    case 'snap':
      return `${head} snap=${m.meta.index}@${m.meta.term} off=${m.offset}/${m.totalBytes}${m.done ? ' done' : ''}`;
    case 'snapResp':
      return `${head} snap=${m.snapIndex} off=${m.offset}${m.done ? ' done' : ''}`;
    case 'timeoutNow':
      return head;
    case 'readIndex':
      return `${head} ctx=${m.context}`;
    case 'readIndexResp':
      return `${head} ctx=${m.context} index=${m.index}`;
  }
}
