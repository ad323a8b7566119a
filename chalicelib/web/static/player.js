// The podcast player: the MP3 from a short-lived signed link (an <audio> element cannot send
// the API's credentials), renewed each time it has expired, however often that happens in
// one visit; the download link, signed afresh at each click; and the transcript, which marks
// the line being spoken and seeks on a line's time.

import { relative } from "./api.js";
import { $, element } from "./dom.js";

export const AUDIO_LOST = "The podcast's audio could not be loaded. Reload the page to try again.";

// Which podcast the player holds now: a renewal that returns after another podcast (or bank)
// was opened is dropped.
let playing = null;

// `fresh()` reads the same podcast again (new signed links); `failed(error)` says what went
// wrong, `error` being the API's refusal or null when the audio itself would not load.
export function playPodcast(podcast, { fresh, failed }) {
  const audio = $("podcast-audio");
  const download = $("podcast-download");
  const token = {};
  playing = token;
  audio.src = podcast.audioSrc || relative(podcast.audioUrl);
  download.href = podcast.downloadSrc || audio.src;
  // A link is renewed once per link that loaded: a fresh link that fails too is not an
  // expiry, and asking again would loop.
  let renewed = false;
  audio.onloadeddata = () => { renewed = false; };
  audio.onerror = async () => {
    if (renewed) { failed(null); return; }
    renewed = true;
    const at = audio.currentTime;
    const wasPlaying = !audio.paused;
    let document_;
    try {
      document_ = await fresh();
    } catch (error) {
      if (playing === token) failed(error);
      return;
    }
    if (playing !== token) return;
    audio.src = document_.audioSrc || relative(document_.audioUrl);
    download.href = document_.downloadSrc || audio.src;
    // Where the listener was, and playing if it was.
    audio.addEventListener("loadedmetadata", () => {
      if (at) audio.currentTime = at;
      if (wasPlaying) audio.play().catch(() => {});
    }, { once: true });
  };
  download.onclick = async (event) => {
    // Signed afresh at every click: the link the page holds may have expired. S3 answers it
    // with Content-Disposition: attachment, so the browser saves the file and stays here.
    event.preventDefault();
    try {
      const document_ = await fresh();
      if (playing !== token) return;
      download.href = document_.downloadSrc || document_.audioSrc || relative(document_.audioUrl);
      const link = element("a", { href: download.href });
      document.body.append(link);
      link.click();
      link.remove();
    } catch (error) {
      failed(error);
    }
  };
  followTranscript(audio, podcast.script || []);
}

const clock = (seconds) => `${Math.floor(seconds / 60)}:${String(Math.floor(seconds % 60)).padStart(2, "0")}`;

// The transcript follows the audio: the line being spoken is marked (and announced to
// nothing: it changes too often), and a line's time seeks to it.
function followTranscript(audio, script) {
  const items = script.map((line) => {
    const item = element("li", {});
    if (typeof line.start === "number") {
      item.dataset.start = String(line.start);
      const seek = element("button", { type: "button", class: "link time", text: clock(line.start),
        "aria-label": `Play from ${clock(line.start)} (${line.name})` });
      seek.addEventListener("click", () => {
        audio.currentTime = line.start;
        audio.play().catch(() => {});
      });
      item.append(seek, " ");
    }
    item.append(element("span", { class: "speaker", text: `${line.name}: ` }), line.text);
    return item;
  });
  $("transcript").replaceChildren(...items);
  const timed = items.filter((item) => item.dataset.start !== undefined);
  let current = null;
  audio.ontimeupdate = () => {
    const now = audio.currentTime;
    const speaking = timed.filter((item) => Number(item.dataset.start) <= now + 0.05).at(-1) || null;
    if (speaking === current) return;
    if (current) { current.classList.remove("speaking"); current.removeAttribute("aria-current"); }
    current = speaking;
    if (current) { current.classList.add("speaking"); current.setAttribute("aria-current", "true"); }
  };
}
