import { h, render } from "preact";
import "../common/theme.css";
import "./docs.css";
import { Docs } from "./docs";

render(h(Docs, {}), document.getElementById("docs")!);
