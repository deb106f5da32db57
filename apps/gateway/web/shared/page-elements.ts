/** The element of the page with this id; a page missing one of its own elements is a build mistake. */
export function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`the page lacks #${id}`);
  return found as T;
}

/**
 * The page's API key field: restored from this tab's session storage under `storageKey` (never
 * localStorage, cookies or URLs), written back on every edit, and forgotten with `forget`.
 */
export function rememberApiKey(storageKey: string, keyInput: HTMLInputElement, forget: HTMLButtonElement, onForgotten: () => void): void {
  keyInput.value = sessionStorage.getItem(storageKey) ?? '';
  keyInput.addEventListener('input', () => {
    const key = keyInput.value.trim();
    if (key) sessionStorage.setItem(storageKey, key);
    else sessionStorage.removeItem(storageKey);
  });
  forget.addEventListener('click', () => {
    sessionStorage.removeItem(storageKey);
    keyInput.value = '';
    keyInput.focus();
    onForgotten();
  });
}

/** The key entered, or undefined after telling the user to enter one (and putting the cursor there). */
export function enteredApiKey(keyInput: HTMLInputElement, showError: (message: string) => void): string | undefined {
  const key = keyInput.value.trim();
  if (key) return key;
  showError('Enter your API key first.');
  keyInput.focus();
  return undefined;
}
