// The widget's own interface text in its three languages. `{title}` is the panel title
// (config.title, else LABELS[language].title). Bot messages are not translated here: the bot
// answers in the language of the question.
export const LABELS = {
  en: {
    title: "Sales Coach",
    placeholder: "Ask a sales question… 輸入問題…", // bilingual: users write English or Chinese
    send: "Send",
    restart: "Restart",
    restartConversation: "Restart conversation",
    close: "Close chat",
    conversation: "Conversation with {title}",
    message: "Message to {title}",
    typing: "{title} is typing…",
    connecting: "Connecting…",
    reconnecting: "Reconnecting…",
    unreachable: "Cannot reach {title}, retrying…",
    youSaid: "You said: ",
    botSaid: "{title}: ",
    suggestedReplies: "Suggested replies",
    wasItHelpful: "Was this answer helpful?",
    helpful: "Helpful",
    notHelpful: "Not helpful",
    thanks: "Thanks for your feedback",
    sending: "Sending…",
    notSent: "Not sent",
    retry: "Retry",
    unread: "{count} unread",
    signInAgain: "Sign in again to chat with {title}",
    table: "Table",
  },
  "zh-Hant": {
    title: "銷售教練",
    placeholder: "輸入銷售問題…",
    send: "送出",
    restart: "重新開始",
    restartConversation: "重新開始對話",
    close: "關閉",
    conversation: "與{title}的對話",
    message: "傳給{title}的訊息",
    typing: "{title}正在輸入…",
    connecting: "連線中…",
    reconnecting: "重新連線中…",
    unreachable: "無法連線到{title},正在重試…",
    youSaid: "你說:",
    botSaid: "{title}:",
    suggestedReplies: "建議回覆",
    wasItHelpful: "這個回答有幫助嗎?",
    helpful: "有幫助",
    notHelpful: "沒有幫助",
    thanks: "謝謝你的回饋",
    sending: "傳送中…",
    notSent: "未送出",
    retry: "重試",
    unread: "{count} 則未讀",
    signInAgain: "請重新登入後再與{title}對話",
    table: "表格",
  },
  "zh-Hans": {
    title: "销售教练",
    placeholder: "输入销售问题…",
    send: "发送",
    restart: "重新开始",
    restartConversation: "重新开始对话",
    close: "关闭",
    conversation: "与{title}的对话",
    message: "发给{title}的消息",
    typing: "{title}正在输入…",
    connecting: "连接中…",
    reconnecting: "正在重新连接…",
    unreachable: "无法连接到{title},正在重试…",
    youSaid: "你说:",
    botSaid: "{title}:",
    suggestedReplies: "建议回复",
    wasItHelpful: "这个回答有帮助吗?",
    helpful: "有帮助",
    notHelpful: "没有帮助",
    thanks: "谢谢你的反馈",
    sending: "发送中…",
    notSent: "未发送",
    retry: "重试",
    unread: "{count} 条未读",
    signInAgain: "请重新登录后再与{title}对话",
    table: "表格",
  },
};

const TRADITIONAL_REGIONS = new Set(["tw", "hk", "mo"]);

/**
 * One of the LABELS languages for a BCP 47 tag, or null if it is none of them: zh-Hant* and
 * zh-TW/HK/MO → "zh-Hant", other zh* → "zh-Hans", en* → "en".
 */
export function labelLanguage(tag) {
  if (typeof tag !== "string" || !tag.trim()) return null;
  const [primary, ...rest] = tag.trim().toLowerCase().split(/[-_]/);
  if (primary === "en") return "en";
  if (primary !== "zh") return null;
  const script = rest.find((part) => part.length === 4);
  if (script) return script === "hant" ? "zh-Hant" : "zh-Hans";
  return rest.some((part) => TRADITIONAL_REGIONS.has(part)) ? "zh-Hant" : "zh-Hans";
}

/** The configured language if it is one of LABELS', else the browser's (zh*), else "en". */
export function pickLanguage(configured, browserLanguage) {
  return labelLanguage(configured) ?? labelLanguage(browserLanguage) ?? "en";
}

// Chinese characters (not punctuation): a Latin word next to one gets a space.
const HAN = /[\u3400-\u9fff\uf900-\ufaff]/u;
const LATIN = /[0-9A-Za-z]/;

/**
 * LABELS[language][key] with {title} filled in. A Latin title between Chinese characters is
 * set off by spaces ("與 Sales Coach 的對話").
 */
export function label(language, key, title = "") {
  const text = (LABELS[language] ?? LABELS.en)[key] ?? LABELS.en[key];
  const pad = (neighbour, edge) => (HAN.test(neighbour) && LATIN.test(edge) ? " " : "");
  return text.replace(
    /(.?)\{title\}(.?)/gu,
    (_, before, after) =>
      before + pad(before, title.slice(0, 1)) + title + pad(after, title.slice(-1)) + after,
  );
}
