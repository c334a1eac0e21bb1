import { render } from "preact";
import "../common/theme.css";
import "./dashboard.css";
import { App } from "./app";

render(<App />, document.getElementById("app")!);
