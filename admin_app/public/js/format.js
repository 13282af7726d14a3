// Dates in the user's locale and time zone; money in the order's own currency (never summed
// across currencies: each amount is shown with its currency).
const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

export function when(iso) {
  return iso ? dateTime.format(new Date(iso)) : "";
}

export function money(value) {
  if (!value) return "";
  try {
    return new Intl.NumberFormat(undefined, { style: "currency", currency: value.currency }).format(Number(value.amount));
  } catch {
    return `${value.amount} ${value.currency}`;
  }
}

export function words(status) {
  return String(status || "").replace(/_/g, " ");
}

// A count the API stopped at its cap (GET /dashboard's count_cap): "1000+".
export function counted(n, cap) {
  return cap !== undefined && n >= cap ? `${cap}+` : String(n);
}
