import { element, enteredApiKey, rememberApiKey } from '../shared/page-elements';
import { DetectorError, TextDetectorClient, type Backend, type PredictAnswer } from './detector-client';

/** The page's one key in session storage: the API key lives for this tab only (never localStorage, cookies or URLs). */
export const KEY_STORAGE = 'switchyard.text-detector.apiKey';
const MAX_TEXT_CHARS = 10_000;

const form = element<HTMLFormElement>('detect-form');
const keyInput = element<HTMLInputElement>('api-key');
const forgetKey = element<HTMLButtonElement>('forget-key');
const textInput = element<HTMLTextAreaElement>('text');
const textCount = element<HTMLParagraphElement>('text-count');
const modelSelect = element<HTMLSelectElement>('model');
const modelHint = element<HTMLParagraphElement>('model-hint');
const detect = element<HTMLButtonElement>('detect');
const status = element<HTMLParagraphElement>('status');
const errorBox = element<HTMLParagraphElement>('error');
const resultSection = element<HTMLElement>('result');

const BACKEND_NAMES: Record<Backend, string> = { local: 'this gateway', remote: 'a remote GPU endpoint', client: 'your browser' };

let running = false;
let listedFor: string | undefined;

function setStatus(text: string): void {
  status.textContent = text;
}

function showError(text: string | undefined): void {
  errorBox.textContent = text ?? '';
  errorBox.hidden = !text;
}

function messageOf(error: unknown): string {
  if (error instanceof DetectorError && error.status === 401) return `The API key was refused: enter a valid API key. (${error.message})`;
  if (error instanceof TypeError) return 'The gateway could not be reached: check your connection and try again.';
  return error instanceof Error ? error.message : String(error);
}

/** The model picker's options for this key: "auto" first, then each configured model, the default marked. */
async function listModels(key: string): Promise<void> {
  if (!key || listedFor === key) return;
  listedFor = key;
  try {
    const list = await new TextDetectorClient({ apiKey: key }).models();
    const chosen = modelSelect.value;
    const options = Object.keys(list.configured_models).map((id) => new Option(id === list.default_model ? `${id} (default)` : id, id));
    modelSelect.replaceChildren(new Option("Auto (the gateway's default)", ''), ...options);
    if (Object.hasOwn(list.configured_models, chosen)) modelSelect.value = chosen;
    modelHint.textContent = `${options.length} model${options.length === 1 ? '' : 's'} available.`;
  } catch (error) {
    listedFor = undefined;
    modelHint.textContent = `The models could not be listed: ${messageOf(error)}`;
  }
}

rememberApiKey(KEY_STORAGE, keyInput, forgetKey, () => setStatus('The API key was forgotten.'));
keyInput.addEventListener('change', () => void listModels(keyInput.value.trim()));
void listModels(keyInput.value.trim());

textInput.addEventListener('input', () => {
  const count = textInput.value.length;
  textCount.textContent = `${count.toLocaleString('en')} character${count === 1 ? '' : 's'}`;
});

function setRunning(value: boolean): void {
  running = value;
  detect.disabled = value;
  form.setAttribute('aria-busy', String(value));
}

function showResult(answer: PredictAnswer): void {
  const verdict = element('verdict');
  verdict.textContent = answer.is_fake ? 'Likely machine-written' : 'Likely human-written';
  verdict.className = `verdict ${answer.is_fake ? 'ai' : 'authentic'}`;
  element('probability').textContent = `${(answer.probability * 100).toFixed(1)}%`;
  element('confidence').textContent = `${(answer.confidence * 100).toFixed(1)}%`;
  element('backend').textContent = `${BACKEND_NAMES[answer.backend] ?? answer.backend} (${answer.backend})`;
  element('model-used').textContent = answer.model_id;
  element('latency').textContent = `${Math.round(answer.latency_ms)} ms`;
  const note = element('note');
  note.textContent = answer.metadata.note;
  note.hidden = !answer.metadata.note;
  resultSection.hidden = false;
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  if (running) return;
  const key = enteredApiKey(keyInput, showError);
  if (!key) return;
  const text = textInput.value;
  if (!text.trim() || text.length > MAX_TEXT_CHARS) {
    showError(text.trim() ? `The text is longer than ${MAX_TEXT_CHARS.toLocaleString('en')} characters.` : 'Paste a text first.');
    textInput.focus();
    return;
  }
  showError(undefined);
  resultSection.hidden = true;
  setRunning(true);
  setStatus('Detecting…');
  void listModels(key);
  new TextDetectorClient({ apiKey: key })
    .predict(text, modelSelect.value || undefined)
    .then((answer) => {
      setStatus('Done.');
      showResult(answer);
    })
    .catch((error: unknown) => {
      setStatus('');
      showError(messageOf(error));
      if (error instanceof DetectorError && error.status === 401) keyInput.focus();
    })
    .finally(() => setRunning(false));
});
