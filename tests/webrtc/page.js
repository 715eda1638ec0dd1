// page.js - the browser softphone of the WebRTC test (bundled with JsSIP by
// esbuild). It reads its orders from /config, sends a WebAudio tone into the
// call, and posts what it measured (getStats) to /result.
const JsSIP = require('jssip');

async function post(path, body) {
  await fetch(path, { method: 'POST', body: JSON.stringify(body) });
}
function log(...a) { post('/log', a.join(' ')).catch(() => {}); }

async function inboundStats(pc) {
  const out = { packetsReceived: 0, audioLevel: 0, totalAudioEnergy: 0, packetsSent: 0, codec: '' };
  const stats = await pc.getStats();
  stats.forEach((s) => {
    if (s.type === 'inbound-rtp' && s.kind === 'audio') {
      out.packetsReceived = s.packetsReceived || 0;
      out.audioLevel = s.audioLevel || 0;
      out.totalAudioEnergy = s.totalAudioEnergy || 0;
      const c = stats.get(s.codecId);
      if (c) out.codec = c.mimeType;
    }
    if (s.type === 'outbound-rtp' && s.kind === 'audio') out.packetsSent = s.packetsSent || 0;
  });
  return out;
}

// Keep only Opus and telephone-event in the audio m-line of an SDP.
function opusOnly(sdp) {
  const lines = sdp.split('\r\n');
  const keep = new Set();
  lines.forEach((l) => {
    const m = /^a=rtpmap:(\d+) (opus|telephone-event)\/48000/i.exec(l);
    if (m) keep.add(m[1]);
  });
  return lines.filter((l) => {
    const m = /^a=(rtpmap|fmtp|rtcp-fb):(\d+)/.exec(l);
    return !m || keep.has(m[2]);
  }).map((l) => {
    if (!l.startsWith('m=audio')) return l;
    const f = l.split(' ');
    return f.slice(0, 3).concat(f.slice(3).filter((pt) => keep.has(pt))).join(' ');
  }).join('\r\n');
}

async function main() {
  const cfg = await (await fetch('/config')).json();
  const ac = new AudioContext({ sampleRate: 48000 });
  const osc = ac.createOscillator();
  osc.frequency.value = cfg.tone;
  const gain = ac.createGain();
  gain.gain.value = 0.5;
  const dest = ac.createMediaStreamDestination();
  osc.connect(gain).connect(dest);
  osc.start();
  await ac.resume();

  const result = { registered: false, connected: false, ended: '', error: '' };
  const ua = new JsSIP.UA({
    sockets: [new JsSIP.WebSocketInterface(cfg.ws)],
    uri: cfg.uri, password: cfg.password, register: true, session_timers: false,
    user_agent: 'tandem-browser-test',
  });
  const finish = async (session) => {
    if (session && session.connection) Object.assign(result, await inboundStats(session.connection));
    await post('/result', result);
    // The caller hangs up; the called side waits for the BYE.
    if (cfg.mode !== 'call' && session && !session.isEnded()) return;
    if (session && !session.isEnded()) session.terminate();
    setTimeout(() => ua.stop(), 500);
  };
  const watch = (session) => {
    session.on('confirmed', () => {
      result.connected = true;
      log('confirmed');
      const remote = new Audio();
      remote.autoplay = true;
      session.connection.getReceivers().forEach((r) => {
        if (r.track) remote.srcObject = new MediaStream([r.track]);
      });
      if (cfg.mode === 'call') {
        // hold and resume from the browser (re-INVITEs), then digits as
        // RFC 4733 events
        setTimeout(() => session.hold(), 1500);
        setTimeout(() => session.unhold(), 3000);
        setTimeout(async () => {
          result.afterResume = (await inboundStats(session.connection)).packetsReceived;
          session.sendDTMF(cfg.dtmf, { duration: 160, interToneGap: 100, transportType: 'RFC2833' });
        }, 3600);
      }
      setTimeout(() => finish(session), cfg.seconds * 1000);
    });
    session.on('hold', (e) => { if (e.originator === 'local') result.held = true; });
    session.on('unhold', (e) => { if (e.originator === 'local') result.resumed = true; });
    session.on('failed', (e) => { result.ended = 'failed: ' + e.cause; finish(null); });
    session.on('ended', (e) => {
      result.ended = 'ended: ' + e.cause;
      if (cfg.mode !== 'call') setTimeout(() => ua.stop(), 500);
    });
  };
  ua.on('registered', () => {
    result.registered = true;
    log('registered');
    if (cfg.mode === 'call') {
      const s = ua.call(cfg.target, { mediaStream: dest.stream, pcConfig: { iceServers: [] } });
      // A softphone that wants wideband offers Opus (and digits) only: the
      // gateway then transcodes to the carrier's G.711.
      s.on('sdp', (e) => { if (e.originator === 'local' && e.type === 'offer') e.sdp = opusOnly(e.sdp); });
      watch(s);
    } else {
      post('/ready', {});
    }
  });
  ua.on('registrationFailed', (e) => { result.error = 'registration failed: ' + e.cause; finish(null); });
  ua.on('newRTCSession', (e) => {
    if (e.originator !== 'remote') return;
    log('incoming call');
    watch(e.session);
    e.session.answer({ mediaStream: dest.stream, pcConfig: { iceServers: [] } });
  });
  ua.start();
}

main().catch((e) => post('/result', { error: String(e) }));
