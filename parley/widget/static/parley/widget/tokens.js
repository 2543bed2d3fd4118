// The browser keeps only random conversation tokens (P16): a JSON list under `parley:<slug>`, most recent first.
// Nothing else: no name, e-mail or message. Without localStorage (blocked, private mode) the list lives in memory.

const MAX_TOKENS = 10;

export function tokenStore(slug) {
  const key = `parley:${slug}`;
  let memory = [];

  function list() {
    try {
      const value = JSON.parse(localStorage.getItem(key) || "[]");
      return Array.isArray(value) ? value.filter((token) => typeof token === "string" && token) : [];
    } catch {
      return memory;
    }
  }

  function save(tokens) {
    memory = tokens;
    try {
      if (tokens.length) localStorage.setItem(key, JSON.stringify(tokens));
      else localStorage.removeItem(key);
    } catch {
      // memory only
    }
  }

  return {
    list,
    current: () => list()[0] || null,
    add(token) {
      save([token, ...list().filter((other) => other !== token)].slice(0, MAX_TOKENS));
    },
    remove(token) {
      save(list().filter((other) => other !== token));
    },
  };
}
