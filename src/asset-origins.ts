// The origins each registry's real pages load assets from, besides their own, with the public
// fact that says so. The browser guard lets these serve subresources that carry no secret;
// never a page, a popup or a form. Anything not listed (analytics, ads, fonts a page can do
// without) is refused, which costs at most some styling.
import type { AssetOrigin } from "./browser-guard.js";

export const ASSET_ORIGINS: Record<"npm" | "pypi", AssetOrigin[]> = {
  npm: [
    {
      origin: "https://static-production.npmjs.com",
      why: "the website's stylesheets, scripts and images",
      source: "www.npmjs.com page markup (<link rel=stylesheet href=\"https://static-production.npmjs.com/styles.<hash>.css\">, its <script> and <img> tags)",
    },
    {
      origin: "https://challenges.cloudflare.com",
      why: "the bot check a responder may have to pass in the visible browser (www.npmjs.com sits behind Cloudflare bot management)",
      source: "Cloudflare Turnstile docs, \"Content Security Policy\": script-src and frame-src https://challenges.cloudflare.com (developers.cloudflare.com/turnstile/reference/content-security-policy)",
    },
  ],
  pypi: [
    {
      origin: "https://fonts.googleapis.com",
      why: "the stylesheet that declares Warehouse's web fonts",
      source: "Warehouse's Content-Security-Policy, style-src (pypi/warehouse, warehouse/csp.py)",
    },
    {
      origin: "https://fonts.gstatic.com",
      why: "the web font files",
      source: "Warehouse's Content-Security-Policy, font-src (pypi/warehouse, warehouse/csp.py)",
    },
  ],
};
