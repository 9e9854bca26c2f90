// The widget's texts in both languages, and how it tells which language a text is in.

export const LANGUAGES = ["sq", "en"];
export const LANGUAGE_NAMES = { sq: "Shqip", en: "English" };
// The server's limit (bot/channels/guard.py MAX_CHARS; tests/test_widget.py keeps them equal).
export const MAX_MESSAGE_LENGTH = 2000;
// The days after which `helpline conversations purge` deletes a conversation (bot/conversations.py).
export const RETENTION_DAYS = 30;

export const STRINGS = {
  sq: {
    launcher: "Bisedo me asistentin",
    unread: "mesazh i ri",
    title: "Asistenti IOM",
    close: "Mbyll bisedën",
    quickExit: "Dil shpejt",
    quickExitHint: "Dil shpejt: Shift+Esc ose Esc dy herë",
    conversation: "Biseda",
    inputLabel: "Mesazhi juaj",
    placeholder: "Shkruani mesazhin…",
    send: "Dërgo",
    replies: "Përgjigje të shpejta",
    topics: "Temat",
    you: "Ju",
    assistant: "Asistenti",
    typing: "Asistenti po shkruan…",
    image: "Imazh nga asistenti",
    newWindow: "(hapet në dritare të re)",
    connecting: "Po lidhet…",
    reconnecting: "Lidhja ra. Po lidhet përsëri…",
    notSent: "Nuk u dërgua.",
    retry: "Provo përsëri",
    call: "Telefono",
    counter: (n) => `${n} / ${MAX_MESSAGE_LENGTH}`,
    tooLong: (n) => `Mesazhi ka ${n} shenja; më së shumti ${MAX_MESSAGE_LENGTH}. Shkurtojeni ose ndajeni në dy.`,
    deleteConversation: "Fshi bisedën time",
    deleteQuestion: "Të fshihet biseda nga kjo skedë dhe nga serveri?",
    deleteYes: "Po, fshije",
    deleteNo: "Anulo",
    deleted: "Biseda u fshi nga kjo skedë dhe nga serveri.",
    deleteFailed: "Biseda nuk u fshi nga serveri. Provoni përsëri pas pak.",
    otherTab: "Kjo skedë ka bisedën e saj; biseda e mëparshme mbetet në skedën tjetër.",
    privacyTitle: "Privatësia juaj",
    privacySummary: `Biseda ruhet në këtë skedë dhe në server (deri në ${RETENTION_DAYS} ditë). `
      + "Mos shkruani numra ID-je apo pasaporte.",
    more: "Më shumë",
    back: "Kthehu te biseda",
    privacy: [
      "Në këtë skedë: mesazhet ruhen në shfletues derisa ta mbyllni skedën.",
      "Në server: biseda ruhet që asistenti t'ju përgjigjet, pa numra telefoni, e-mail, ID apo "
        + `IBAN (hiqen vetvetiu). Fshihet ${RETENTION_DAYS} ditë pas mesazhit të fundit.`,
      "“Fshi bisedën time” e fshin menjëherë nga kjo skedë dhe nga serveri.",
      "“Dil shpejt” (ose Shift+Esc, ose Esc dy herë jashtë fushës së shkrimit) e mbyll faqen dhe "
        + "e fshin bisedën nga kjo skedë. Nuk e fshin nga serveri dhe nuk e fshin historikun e "
        + "shfletuesit.",
    ],
  },
  en: {
    launcher: "Chat with the assistant",
    unread: "new message",
    title: "IOM assistant",
    close: "Close the chat",
    quickExit: "Quick exit",
    quickExitHint: "Quick exit: Shift+Esc or Esc twice",
    conversation: "Conversation",
    inputLabel: "Your message",
    placeholder: "Type your message…",
    send: "Send",
    replies: "Quick replies",
    topics: "Topics",
    you: "You",
    assistant: "Assistant",
    typing: "The assistant is typing…",
    image: "Image from the assistant",
    newWindow: "(opens in a new window)",
    connecting: "Connecting…",
    reconnecting: "Connection lost. Reconnecting…",
    notSent: "Not sent.",
    retry: "Retry",
    call: "Call",
    counter: (n) => `${n} / ${MAX_MESSAGE_LENGTH}`,
    tooLong: (n) => `The message has ${n} characters; at most ${MAX_MESSAGE_LENGTH}. Shorten it or split it in two.`,
    deleteConversation: "Delete my conversation",
    deleteQuestion: "Delete the conversation from this tab and from the server?",
    deleteYes: "Yes, delete",
    deleteNo: "Cancel",
    deleted: "The conversation was deleted from this tab and from the server.",
    deleteFailed: "The conversation could not be deleted from the server. Please try again shortly.",
    otherTab: "This tab has its own conversation; the earlier one stays in the other tab.",
    privacyTitle: "Your privacy",
    privacySummary: `The chat is kept in this tab and on the server (up to ${RETENTION_DAYS} days). `
      + "Don't write ID or passport numbers.",
    more: "More",
    back: "Back to the chat",
    privacy: [
      "In this tab: your messages are kept in the browser until you close the tab.",
      "On the server: the conversation is kept so the assistant can answer you, without phone "
        + "numbers, e-mails, ID or IBAN numbers (they are removed automatically). It is deleted "
        + `${RETENTION_DAYS} days after the last message.`,
      "“Delete my conversation” deletes it at once from this tab and from the server.",
      "“Quick exit” (or Shift+Esc, or Esc twice outside the text box) leaves this page and deletes "
        + "the conversation from this tab. It does not delete it from the server, nor the "
        + "browser's history.",
    ],
  },
};

// The "In danger?" bar is in both languages: it must be understood before anything is chosen.
export const DANGER = "Në rrezik? / In danger?";

// The first screen, in both languages: nobody has chosen one yet.
export const GREETING = {
  sq: "Përshëndetje! Jam një asistent automatik, jo një person. Zgjidhni një temë ose shkruani pyetjen tuaj.",
  en: "Hello! I am an automated assistant, not a person. Choose a topic or type your question.",
};

// Frequent words found in only one of the two languages ("me", "a", "do", "i" are in both).
const WORDS = {
  sq: new Set(["dhe", "për", "per", "një", "nje", "të", "te", "në", "ne", "ju", "është", "eshte",
    "si", "nuk", "ose", "jam", "mund", "që", "qe", "jeni", "ka", "kam", "po", "jo", "ku", "çfarë",
    "faleminderit", "përshëndetje", "tuaj", "juaj", "ime", "im", "kanë", "kane", "marrë", "marre"]),
  en: new Set(["the", "and", "you", "your", "to", "of", "is", "are", "for", "in", "it", "can",
    "not", "or", "with", "this", "that", "what", "how", "please", "my", "am", "if", "be", "on",
    "thank", "thanks", "hello", "help", "where", "was", "have", "has", "took", "taken"]),
};

/**
 * "sq" or "en" when a text is plainly in one language, else null: no words (HTML, a URL, digits)
 * or both languages (the bilingual language chooser). Letters ë and ç are Albanian.
 */
export function languageOf(text) {
  const words = String(text).toLowerCase().replace(/\b(?:https?:\/\/|www\.)\S+/g, " ")
    .replace(/<[^>]*>/g, " ").match(/\p{L}+/gu) || [];
  let sq = 0;
  let en = 0;
  for (const word of words) {
    if (WORDS.sq.has(word) || /[ëç]/.test(word)) sq += 1;
    else if (WORDS.en.has(word)) en += 1;
  }
  if (sq > 3 * en) return "sq";
  if (en > 3 * sq) return "en";
  return null;
}
