import { defineConfig } from "vite";

// `npm run dev` / `npm run preview` serve the client and forward the XMPP endpoints to a running
// server (parleyd by default; PARLEY_SERVER=http://127.0.0.1:PORT for another one).
const server = process.env.PARLEY_SERVER ?? "http://127.0.0.1:5280";
const proxy = {
  "/xmpp-websocket": { target: server, ws: true, changeOrigin: true },
  "/parley-client.json": { target: server, changeOrigin: true },
};

export default defineConfig({
  base: "./",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2020",
    chunkSizeWarningLimit: 600,
  },
  server: { host: "127.0.0.1", proxy },
  preview: { host: "127.0.0.1", proxy },
});
